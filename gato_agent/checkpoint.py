"""Checkpoints: a folder with model.safetensors, config.json and an optional prompt.safetensors.

config.json holds the GatoConfig, the observation and action spaces (Minari's space serialization)
and a format version. Files are written to temporary names and renamed, so a crash mid-save never
leaves a half-written checkpoint behind a valid name.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from gymnasium import spaces
from minari.serialization import deserialize_space, serialize_space
from safetensors.torch import load_file, save_file

from gato_agent.config import GatoConfig
from gato_agent.model import Gato
from gato_agent.tokenizer import TokenBatch

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "embedded_checkpoint_path", "FORMAT_VERSION"]

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
PROMPT_FILE = "prompt.safetensors"
_PROMPT_FIELDS = ("ids", "local_pos", "patch_mask", "patches", "patch_idx")


@dataclass
class Checkpoint:
    """What a checkpoint folder holds, loaded."""

    model: Gato
    observation_space: spaces.Space | None
    action_space: spaces.Space | None
    prompt: TokenBatch | None


def embedded_checkpoint_path() -> Path:
    """Where the checkpoint shipped inside the package lives (it may not exist yet)."""
    return Path(str(resources.files("gato_agent") / "assets" / "default"))


def save_checkpoint(
    path: str | os.PathLike,
    model: Gato,
    observation_space: spaces.Space | None = None,
    action_space: spaces.Space | None = None,
    prompt: TokenBatch | None = None,
) -> None:
    """Write a checkpoint folder (created if needed; files already there are replaced atomically)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "format_version": FORMAT_VERSION,
        "model": model.config.to_dict(),
        "observation_space": serialize_space(observation_space) if observation_space is not None else None,
        "action_space": serialize_space(action_space) if action_space is not None else None,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    _atomic(folder / WEIGHTS_FILE, lambda tmp: save_file(state, tmp))
    if prompt is not None:
        tensors = {name: getattr(prompt, name).cpu().contiguous() for name in _PROMPT_FIELDS}
        _atomic(folder / PROMPT_FILE, lambda tmp: save_file(tensors, tmp))
    elif (folder / PROMPT_FILE).exists():
        (folder / PROMPT_FILE).unlink()
    _atomic(folder / CONFIG_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2) + "\n"))


def load_checkpoint(
    path: str | os.PathLike | None = None,
    observation_space: spaces.Space | None = None,
    action_space: spaces.Space | None = None,
    map_location: str | torch.device = "cpu",
) -> Checkpoint:
    """Load a checkpoint folder (None: the embedded one), checking weights against config and spaces.

    Raises FileNotFoundError for a missing folder or file, ValueError when the weights do not match
    the config or the given spaces differ from the checkpoint's.
    """
    folder = embedded_checkpoint_path() if path is None else Path(path)
    if path is None and not (folder / CONFIG_FILE).exists():
        raise FileNotFoundError(
            "no checkpoint is embedded in this version of gato-agent; pass the path of one saved by "
            "GatoAgent.save_pretrained (gato-eval: --checkpoint PATH)"
        )
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder} is not a gato-agent checkpoint: {name} is missing")
    meta = json.loads((folder / CONFIG_FILE).read_text())
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"{folder / CONFIG_FILE} has format_version {version!r}; this gato-agent reads {FORMAT_VERSION}")
    config = GatoConfig.from_dict(meta["model"])
    model = Gato(config)
    state = load_file(folder / WEIGHTS_FILE, device=str(map_location))
    _check_state(model, state, folder)
    model.load_state_dict(state)
    model.to(map_location)
    saved_obs = deserialize_space(meta["observation_space"]) if meta.get("observation_space") else None
    saved_act = deserialize_space(meta["action_space"]) if meta.get("action_space") else None
    obs_space = _pick_space("observation", saved_obs, observation_space, folder)
    act_space = _pick_space("action", saved_act, action_space, folder)
    prompt = None
    if (folder / PROMPT_FILE).exists():
        tensors = load_file(folder / PROMPT_FILE, device=str(map_location))
        prompt = TokenBatch(*(tensors[name] for name in _PROMPT_FIELDS))
    return Checkpoint(model, obs_space, act_space, prompt)


def _pick_space(kind: str, saved: spaces.Space | None, given: spaces.Space | None, folder: Path) -> spaces.Space:
    if saved is not None and given is not None and saved != given:
        raise ValueError(f"checkpoint {folder} was saved for the {kind} space {saved}, but the env's is {given}")
    space = given if given is not None else saved
    if space is None:
        raise ValueError(f"checkpoint {folder} stores no {kind} space: pass {kind}_space= to load it")
    return space


def _shape_of(state: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """The architecture fields that a set of weight shapes reveals."""
    found = {"num_layers": len({k.split(".")[1] for k in state if k.startswith("blocks.")})}
    if "tokens.weight" in state:
        found["vocab_size"], found["embed_dim"] = state["tokens.weight"]
    if "blocks.0.ff_in.weight" in state:
        found["ff_dim"] = state["blocks.0.ff_in.weight"][0]
    if "local_pos.weight" in state:
        found["max_observation_tokens"] = state["local_pos.weight"][0] - 1
    return found


def _check_state(model: Gato, state: dict[str, torch.Tensor], folder: Path) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected == got:
        return
    config_says, weights_have = _shape_of(expected), _shape_of(got)
    problems = [
        f"config.json says {key}={value}, the weights have {key}={weights_have[key]}"
        for key, value in config_says.items()
        if key in weights_have and weights_have[key] != value
    ]
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing:
        problems.append(f"missing from the weights: {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
    if extra:
        problems.append(f"not in a model of this config: {', '.join(extra[:5])}" + (" ..." if len(extra) > 5 else ""))
    shapes = [k for k in sorted(set(expected) & set(got)) if expected[k] != got[k]]
    problems += [f"{k} has shape {got[k]} in the weights but {expected[k]} from the config" for k in shapes[:3]]
    raise ValueError(f"{folder / WEIGHTS_FILE} does not match {folder / CONFIG_FILE}: " + "; ".join(problems))


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        write(str(tmp))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
