"""A checkpoint is checked before it is trusted: an untrusted config.json cannot make the loader
allocate more than the weights file holds, paths inside it stay in its folder, and a file this user
may not read is a permission error (exit 2), never damage that --resume rolls back over."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent
from gato_agent.checkpoint import CheckpointError, load_checkpoint

REPO = str(Path(__file__).resolve().parents[1])
# root without the capabilities that let it read any file: chmod 000 then means unreadable, as for any user
NO_DAC = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def saved(tmp_path, micro_config):
    torch.manual_seed(0)
    prompt = {"observations": np.zeros((2, 3), np.float32), "actions": np.ones((2, 2), np.float32)}
    agent = GatoAgent(Gato(micro_config), spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32), prompt=prompt)
    agent.save_pretrained(tmp_path / "ckpt")
    return tmp_path / "ckpt"


def edit_config(folder: Path, edit) -> None:
    meta = json.loads((folder / "config.json").read_text())
    edit(meta)
    (folder / "config.json").write_text(json.dumps(meta))


def test_a_config_asking_for_a_huge_model_is_refused_before_any_allocation(saved):
    edit_config(saved, lambda m: m["model"].update(embed_dim=1048576, ff_dim=1048576))  # about 150 GB of float32
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))\n"
            "from gato_agent.checkpoint import load_checkpoint\n"
            "try:\n    load_checkpoint(sys.argv[1])\nexcept ValueError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code, str(saved)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "config.json says embed_dim=1048576, the weights have embed_dim=32" in done.stdout, done.stdout


@pytest.mark.parametrize("prompt", ["absolute", "../outside.safetensors", "sub/../../x", ".."])
def test_a_prompt_path_outside_the_checkpoint_is_refused(prompt, saved, tmp_path):
    if prompt == "absolute":
        prompt = str(tmp_path / "outside.safetensors")
        shutil.copy(saved / "prompt-default.safetensors", prompt)  # a readable file, elsewhere
    edit_config(saved, lambda m: m["tasks"]["default"].update(prompt=prompt))
    with pytest.raises(CheckpointError, match="it must be the name of a file in the checkpoint's folder"):
        load_checkpoint(saved)


@pytest.mark.parametrize("latest", ["../../elsewhere", "absolute", "step-0000001/..", "ckpt"])
def test_a_runs_latest_is_never_followed_out_of_the_run(latest, saved, tmp_path):
    latest = str(saved) if latest == "absolute" else latest  # a whole checkpoint, outside the run
    run = tmp_path / "run"
    run.mkdir()
    shutil.copytree(saved, run / "step-0000001")
    (run / "latest").write_text("step-0000001\n")
    assert load_checkpoint(run).path == run / "step-0000001"
    (run / "latest").write_text(latest + "\n")
    with pytest.raises(CheckpointError, match="which is not a step-NNNNNNN folder of"):
        load_checkpoint(run)


@pytest.fixture
def no_dac():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to drop the capability that lets root read any file")
    if subprocess.run([*NO_DAC, "true"], capture_output=True).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here")
    return NO_DAC


def test_an_unreadable_file_is_a_permission_error_not_damage(no_dac, saved):
    os.chmod(saved / "model.safetensors", 0)
    code = ("import sys\nfrom gato_agent.checkpoint import load_checkpoint, CheckpointError\n"
            "try:\n    load_checkpoint(sys.argv[1])\nexcept CheckpointError as e:\n    print('damaged:', e)\n"
            "except ValueError as e:\n    print('usage:', e)\n")
    done = subprocess.run([*no_dac, sys.executable, "-c", code, str(saved)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"})
    assert done.stdout.startswith(f"usage: {saved / 'model.safetensors'}: permission denied (mode 0)"), done.stdout + done.stderr[-2000:]


def test_resume_does_not_roll_back_over_an_unreadable_step(no_dac, make_dataset, tmp_path, micro_config):
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10)
    config = tmp_path / "micro.json"
    config.write_text(json.dumps(micro_config.to_dict()))
    out = tmp_path / "run"
    args = ["-m", "rollouts.train", "--dataset", str(dataset), "--out", str(out), "--config", str(config), "--batch-size", "2",
            "--steps", "6", "--warmup-steps", "1", "--checkpoint-every", "2", "--threads", "1", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    assert subprocess.run([sys.executable, *args, "--stop-after", "4"], env=env, capture_output=True, timeout=300).returncode == 0
    os.chmod(out / "step-0000004" / "trainer.pt", 0)
    done = subprocess.run([*no_dac, sys.executable, *args, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == (f"gato-train: error: {out / 'step-0000004' / 'trainer.pt'}: permission denied (mode 0); "
                                   "give this user read access (chmod u+r) and run again")
    assert sorted(p.name for p in out.glob("*step-*")) == ["step-0000002", "step-0000004"]  # nothing renamed damaged-*


@pytest.mark.parametrize("how,phrase", [("nan", "tensors hold NaN or infinite values"), ("int32", "is torch.int32, but the model's is torch.float32")])
def test_non_finite_or_integer_weights_are_refused(how, phrase, saved):
    from safetensors.torch import load_file, save_file

    state = load_file(saved / "model.safetensors")
    name = "tokens.weight"
    state[name] = state[name].fill_(float("nan")) if how == "nan" else state[name].to(torch.int32)
    save_file(state, saved / "model.safetensors")
    with pytest.raises(CheckpointError, match=phrase):
        load_checkpoint(saved)


def test_a_bf16_checkpoint_passes_the_size_check(saved, tmp_path):
    # surgery's bf16 copy holds half the bytes of the float32 model the size check bounds from below
    from gato_agent.surgery import to_bf16

    to_bf16(saved, tmp_path / "bf16")
    assert (tmp_path / "bf16" / "model.safetensors").stat().st_size < (saved / "model.safetensors").stat().st_size * 0.6
    loaded = load_checkpoint(tmp_path / "bf16")
    for name, value in load_checkpoint(saved).model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], value.to(torch.bfloat16).float()), name
    cut = tmp_path / "bf16" / "model.safetensors"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "bf16")
