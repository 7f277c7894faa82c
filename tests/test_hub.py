"""The Hugging Face Hub: ids vs local paths, loading a cached snapshot offline, the upload and its card.

Nothing here reaches the Hub. Loading: a snapshot is built in a temporary HF_HOME in the Hub's own
cache layout (blobs, snapshots/<commit> links, refs/main) and loaded by repo id with HF_HUB_OFFLINE=1
in a fresh process (huggingface_hub reads both variables when imported). Uploading: the folder and
card that push_to_hub would upload are checked, and HfApi's create_repo/upload_folder are replaced
by recorders (no fake endpoint).
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent
from gato_agent.checkpoint import load_checkpoint
from gato_agent.extras import MissingExtra
from gato_agent.hub import hub_repo_id, push_to_hub, stage_upload

hf = pytest.importorskip("huggingface_hub")
REPO = str(Path(__file__).resolve().parents[1])
OBS, ACT = spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32)


@pytest.fixture
def agent(micro_config):
    torch.manual_seed(0)
    return GatoAgent(Gato(micro_config), OBS, ACT, prompt={"observations": np.zeros((2, 3), np.float32),
                                                         "actions": np.ones((2, 2), np.float32)})


def cache_snapshot(hf_home: Path, repo_id: str, folder: Path, commit: str = "a" * 40) -> Path:
    """Put `folder`'s files into the Hub cache under HF_HOME as snapshot_download would have."""
    from huggingface_hub.file_download import repo_folder_name

    storage = hf_home / "hub" / repo_folder_name(repo_id=repo_id, repo_type="model")
    snapshot = storage / "snapshots" / commit
    for d in (storage / "blobs", snapshot, storage / "refs"):
        d.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        data = path.read_bytes()
        blob = storage / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / path.name).symlink_to(os.path.relpath(blob, snapshot))
    (storage / "refs" / "main").write_text(commit)
    return snapshot


def test_hub_ids_and_local_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert hub_repo_id("hf://org/name") == hub_repo_id(Path("hf://org/name")) == "org/name"
    assert hub_repo_id("org/name") == "org/name"  # nothing local of that spelling
    (tmp_path / "org" / "name").mkdir(parents=True)
    assert hub_repo_id("org/name") is None  # a local path always wins
    assert hub_repo_id("hf://org/name") == "org/name"  # unless the Hub is asked for by name
    for local in (str(tmp_path / "x" / "y"), "ckpt/", "runs", "a/b/c", "./a/b"):
        assert hub_repo_id(local) is None, local


def test_a_cached_snapshot_loads_by_repo_id_offline(agent, tmp_path):
    agent.save_pretrained(tmp_path / "ckpt", task="Reach")
    cache_snapshot(tmp_path / "hf", "org/tiny-gato", tmp_path / "ckpt")
    other = GatoAgent(Gato(agent.model.config), OBS, ACT)  # other weights, at the local path "org/tiny-gato"
    other.save_pretrained(tmp_path / "work" / "org" / "tiny-gato")
    script = textwrap.dedent("""
        import json, sys, torch
        from gato_agent import GatoAgent
        from gato_agent.checkpoint import load_checkpoint
        hub = GatoAgent.from_pretrained("org/tiny-gato", task="Reach").model.tokens.weight
        named = load_checkpoint("hf://org/tiny-gato").model.tokens.weight
        local = load_checkpoint("work/org/tiny-gato").model.tokens.weight
        try:
            load_checkpoint("org/not-cached")
        except FileNotFoundError as e:
            error = str(e)
        print(json.dumps({"hub": hub.sum().item(), "named": named.sum().item(), "local": local.sum().item(), "error": error}))
    """)
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    env.pop("HF_HUB_CACHE", None)
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    expected = agent.model.tokens.weight.sum().item()
    assert got["hub"] == pytest.approx(expected) and got["named"] == pytest.approx(expected)
    assert got["local"] == pytest.approx(other.model.tokens.weight.sum().item()) != pytest.approx(expected)
    assert "no local checkpoint at 'org/not-cached'" in got["error"] and "HF_HUB_OFFLINE" in got["error"]


def test_the_upload_folder_and_its_model_card(agent, tmp_path):
    agent.save_pretrained(tmp_path / "ckpt", task="Reacher-v5")
    (tmp_path / "ckpt" / "trainer.pt").write_bytes(b"optimizer state")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"tasks": [{"env_id": "Reacher-v5", "returns": [-6.0, -4.0], "mean": -5.0, "std": 1.0,
                                              "normalized": 0.97}]}))
    staged = stage_upload(tmp_path / "ckpt", tmp_path / "up", "org/gato-reacher", ["org/reacher-expert"], results)
    assert sorted(p.name for p in staged.iterdir()) == ["README.md", "config.json", "model.safetensors",
                                                         "prompt-Reacher-v5.safetensors", "results.json"]
    card = hf.ModelCard.load(staged / "README.md")
    assert card.data.library_name == "gato-agent" and card.data.datasets == ["org/reacher-expert"]
    assert {"gato", "reinforcement-learning", "Reacher-v5"} <= set(card.data.tags)
    assert "| Reacher-v5 | 2 | -5.0 | 1.0 | 0.970 |" in card.text
    assert 'GatoAgent.from_pretrained("org/gato-reacher", task="Reacher-v5")' in card.text
    assert load_checkpoint(staged).tasks["Reacher-v5"].prompt is not None


def test_push_to_hub_creates_the_repo_and_uploads_the_staged_folder(agent, tmp_path, monkeypatch):
    calls = []

    def upload_folder(self, *, repo_id, folder_path, commit_message):
        calls.append(("upload", repo_id, sorted(p.name for p in Path(folder_path).iterdir())))
        return SimpleNamespace(commit_url=f"{repo_id}/commit/1")

    monkeypatch.setattr(hf.HfApi, "create_repo", lambda self, repo_id, private, exist_ok: calls.append(("create", repo_id, exist_ok)))
    monkeypatch.setattr(hf.HfApi, "upload_folder", upload_folder)
    url = agent.push_to_hub("org/gato-pend", task="Pendulum")
    assert url.endswith("org/gato-pend/commit/1")
    assert calls == [("create", "org/gato-pend", True),
                     ("upload", "org/gato-pend", ["README.md", "config.json", "model.safetensors", "prompt-Pendulum.safetensors"])]
    agent.save_pretrained(tmp_path / "ckpt")
    push_to_hub(tmp_path / "ckpt", "org/other")
    assert calls[-1][1] == "org/other"


def test_without_the_extra_a_hub_id_is_an_install_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingExtra, match=r"pip install 'gato-agent\[hub\]'"):
        load_checkpoint("hf://org/name")
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load_checkpoint(tmp_path / "nowhere")  # a local path never asks for the Hub
