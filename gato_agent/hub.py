"""The Hugging Face Hub as a checkpoint destination (extra: `pip install 'gato-agent[hub]'`); as a
source, see gato_agent.hub_download (whose names this module also exports).

Uploads copy a checkpoint folder (never its trainer state) beside a model card, README.md with the
Hub's YAML metadata (library name, tags, datasets) and, given a gato-eval results.json, its table
of scores, then `HfApi.upload_folder` it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gato_agent.checkpoint import resolve
from gato_agent.extras import require
from gato_agent.hub_download import HUB_PREFIX, download, hub_repo_id

__all__ = ["HUB_PREFIX", "hub_repo_id", "download", "model_card", "stage_upload", "push_to_hub"]

CARD_FILE = "README.md"
RESULTS_FILE = "results.json"
_UPLOADED = ("config.json", "model.safetensors", "prompt-*.safetensors", "tokenizer.model")  # tokenizer: text tasks only


def model_card(
    repo_id: str,
    tasks: Sequence[str],
    datasets: Sequence[str] = (),
    results: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> str:
    """README.md of a Hub checkpoint: YAML metadata (library_name gato-agent, tags, datasets) and a
    body naming the tasks, the model's shape, how to load it, and the scores of a gato-eval results.json."""
    hub = require("huggingface_hub", "hub", "a model card")
    data = hub.ModelCardData(library_name="gato-agent", datasets=list(datasets) or None,
                             tags=["gato", "reinforcement-learning", "behavior-cloning", "gymnasium", *tasks])
    lines = [f"# {repo_id}", "", "A Gato (Reed et al. 2022, arXiv 2205.06175) checkpoint of gato-agent, trained by behaviour cloning.", ""]
    if config:
        lines += [f"Model: {config['num_layers']} layers, width {config['embed_dim']}, {config['num_heads']} heads, "
                  f"context {config['context_length']} tokens.", ""]
    lines += ["Tasks: " + (", ".join(tasks) or "none recorded") + ".", "", "```python", "from gato_agent import GatoAgent", "",
              f'agent = GatoAgent.from_pretrained("{repo_id}", task="{tasks[0] if tasks else "default"}")', "```", ""]
    if results:
        lines += ["## Evaluation", "", "Scores of gato-eval (normalized: random 0, expert 1).", "",
                  "| task | episodes | mean return | std | normalized |", "|---|---|---|---|---|"]
        for t in results.get("tasks", []):
            lines.append(f"| {t['env_id']} | {len(t.get('returns', []))} | {_fmt(t.get('mean'))} | {_fmt(t.get('std'))} | "
                         f"{_fmt(t.get('normalized'), 3)} |")
        lines.append("")
    return f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines)


def stage_upload(checkpoint: str | os.PathLike, into: Path, repo_id: str, datasets: Sequence[str] = (),
                 results: str | os.PathLike | None = None) -> Path:
    """Fill `into` with what push_to_hub uploads: the checkpoint's weights, config, prompts and text
    tokenizer (if any), the model card and (if given) results.json; -> `into`."""
    folder = resolve(checkpoint)
    into.mkdir(parents=True, exist_ok=True)
    for pattern in _UPLOADED:
        for path in folder.glob(pattern):
            shutil.copy2(path, into / path.name)
    meta = json.loads((folder / "config.json").read_text())
    scores = None
    if results is not None:
        scores = json.loads(Path(results).read_text())
        shutil.copy2(results, into / RESULTS_FILE)
    card = model_card(repo_id, list(meta.get("tasks", {})), datasets, scores, meta.get("model"))
    (into / CARD_FILE).write_text(card)
    return into


def push_to_hub(checkpoint: str | os.PathLike, repo_id: str, datasets: Sequence[str] = (),
                results: str | os.PathLike | None = None, private: bool | None = None, token: str | None = None,
                commit_message: str = "Upload gato-agent checkpoint") -> str:
    """Create the model repo if needed and upload a checkpoint folder (or a run's latest) with its
    model card; -> the URL of the commit. Credentials come from huggingface_hub (`hf auth login`,
    HF_TOKEN) unless `token` is given."""
    hub = require("huggingface_hub", "hub", "push_to_hub")
    api = hub.HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="gato-upload-") as tmp:
        staged = stage_upload(checkpoint, Path(tmp), repo_id, datasets, results)
        api.create_repo(repo_id, private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, folder_path=staged, commit_message=commit_message)
    return str(commit.commit_url)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
