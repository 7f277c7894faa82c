"""Checkpoints: folders with model.safetensors, config.json, one prompt per task, and training state.

config.json holds the GatoConfig, a format version, and the tasks the model was trained for: per
task its observation and action spaces (Minari's space serialization, except that a Box whose bounds
are the same everywhere has them written once: an Atari frame has 100,800), the file of its prompt
demonstration (a TokenBatch in safetensors, its images as their uint8 pixels), free-form information (dataset, returns)
and, for a task trained on its last few timesteps only (after its prompt, if it has one), their
number (`context_steps`).
When a task observes text, tokenizer.model holds the SentencePiece model its text was tokenized
with, so that loading never depends on a download or on the package's own copy.
A training run adds trainer.pt (optimizer, schedule, data order and RNG states) for `--resume`.

Every file is written under a temporary name and renamed. A training run writes each checkpoint
into a fresh `step-NNNNNNN/` folder and then points the file `latest` at it, so the folder a
reader loads is always whole; `load_checkpoint(run_dir)` follows `latest`. `save_run_checkpoint`
does that and keeps only the newest few step folders.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from minari.serialization import deserialize_space, serialize_space
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gato_agent.atomic import write_atomic
from gato_agent.checkpoint_guard import (CheckpointError, CheckpointUnreadable, check_readable, check_state, check_values,
                                         element_size, header_shapes, least_weights_bytes, safetensors_size)
from gato_agent.config import GatoConfig
from gato_agent.hub_download import download, hub_repo_id
from gato_agent.images import from_pixels, to_pixels, upgrade_state_names
from gato_agent.model import Gato
from gato_agent.space_checks import describe_space, describe_tasks, list_names
from gato_agent.spaces import has_text
from gato_agent.text import TextTokenizer, default_text_tokenizer
from gato_agent.tokenizer import TokenBatch

__all__ = [
    "CheckpointError", "CheckpointUnreadable", "Task", "Checkpoint", "save_checkpoint", "save_checkpoint_whole", "save_run_checkpoint", "load_checkpoint", "resolve", "embedded_checkpoint_path",
    "step_folders",
]

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TRAINER_FILE = "trainer.pt"
TOKENIZER_FILE = "tokenizer.model"
LATEST_FILE = "latest"
_SPACE_TYPES = ("Box", "Discrete", "MultiDiscrete", "MultiBinary", "Text", "Dict", "Tuple")  # what Minari serializes
_PROMPT_FIELDS = ("ids", "local_pos", "patch_mask", "patches", "patch_idx")
_STEP_FOLDER = re.compile(r"step-\d{7}")  # what a run writes; a user's step-best is not one



@dataclass
class Task:
    """What the agent needs to act in one task: its spaces and a prompt demonstration [2.4]."""

    observation_space: spaces.Space
    action_space: spaces.Space
    prompt: TokenBatch | None = None  # (1, T) tokens of whole timesteps
    info: dict[str, Any] = field(default_factory=dict)  # JSON-able facts: dataset, demonstrator return, ...
    context_steps: int | None = None  # the agent acts on the last this many timesteps only, after the
    # prompt if any (trained so: gato-train --task-context-steps, --window-prompts); None: the model's whole context


@dataclass
class Checkpoint:
    """A loaded checkpoint folder."""

    path: Path
    model: Gato
    tasks: dict[str, Task]
    trainer_state: dict[str, Any] | None = None  # only with load_checkpoint(..., trainer_state=True)
    text_tokenizer: TextTokenizer | None = None  # the text tokenizer of its tasks (None: no task has text)

    def select(
        self,
        task: str | None = None,
        observation_space: spaces.Space | None = None,
        action_space: spaces.Space | None = None,
    ) -> Task:
        """The task to act in: by name, or the one task whose spaces equal the given ones.

        A checkpoint without tasks (model only) takes the given spaces, with no prompt.
        """
        if task is not None:
            if task not in self.tasks:
                raise ValueError(f"checkpoint {self.path} has no task {task!r}; its tasks: {list_names(self.tasks) or 'none'}")
            chosen = self.tasks[task]
            for kind, saved, given in (("observation", chosen.observation_space, observation_space),
                                       ("action", chosen.action_space, action_space)):
                if given is not None and given != saved:
                    raise ValueError(f"task {task!r} of checkpoint {self.path} has the {kind} space {describe_space(saved)}, "
                                     f"but the env's is {describe_space(given)}")
            return chosen
        if not self.tasks:
            if observation_space is None or action_space is None:
                raise ValueError(f"checkpoint {self.path} stores no task spaces: pass observation_space= and action_space=")
            return Task(observation_space, action_space)
        matches = {
            name: t for name, t in self.tasks.items()
            if observation_space in (None, t.observation_space) and action_space in (None, t.action_space)
        }
        if len(matches) == 1:
            return next(iter(matches.values()))
        if not matches:
            saved = describe_tasks({name: (t.observation_space, t.action_space) for name, t in self.tasks.items()})
            raise ValueError(
                f"checkpoint {self.path} was saved for other spaces than the env's "
                f"({_arrow(observation_space, action_space)}); its tasks: {saved}"
            )
        raise ValueError(
            f"checkpoint {self.path} holds several tasks ({', '.join(matches)}): pass task= "
            "or the env's observation_space and action_space to choose one"
        )


def _arrow(observation_space: spaces.Space | None, action_space: spaces.Space | None) -> str:
    """"obs -> action", each space in a short line."""
    return " -> ".join("None" if s is None else describe_space(s) for s in (observation_space, action_space))


def embedded_checkpoint_path() -> Path:
    """Where the checkpoint shipped inside the package lives (it may not exist yet)."""
    return Path(str(resources.files("gato_agent") / "assets" / "default"))


def save_checkpoint(
    path: str | os.PathLike,
    model: Gato,
    tasks: dict[str, Task] | None = None,
    trainer_state: dict[str, Any] | None = None,
    weights: dict[str, torch.Tensor] | None = None,
    text_tokenizer: TextTokenizer | None = None,
) -> None:
    """Write a checkpoint folder (created if needed; files already there are replaced atomically).

    weights: what to write instead of model.state_dict() (a sharded model's gathered full state).
    When a task observes text, its tokenizer is written too: `text_tokenizer`, or by default the one
    shipped in the package (the one `ObservationCodec` uses by default).
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tasks = tasks or {}
    meta: dict[str, Any] = {"format_version": FORMAT_VERSION, "model": model.config.to_dict(), "tasks": {}}
    state = {k: v.detach().cpu().contiguous() for k, v in (model.state_dict() if weights is None else weights).items()}
    write_atomic(folder / WEIGHTS_FILE, lambda tmp: save_file(state, tmp))
    for name, task in tasks.items():
        prompt_file = None
        if task.prompt is not None:
            prompt_file = f"prompt-{_file_name(name)}.safetensors"
            tensors = {f: getattr(task.prompt, f).cpu().contiguous() for f in _PROMPT_FIELDS}
            tensors["patches"] = to_pixels(tensors["patches"], model.config)  # uint8: a quarter of float32
            if task.prompt.vectors is not None:  # one-token observation vectors (gato_agent.vectors)
                tensors.update(vector_mask=task.prompt.vector_mask.cpu().contiguous(), vectors=task.prompt.vectors.cpu().contiguous())
            write_atomic(folder / prompt_file, lambda tmp, t=tensors: save_file(t, tmp))
        meta["tasks"][name] = {
            "observation_space": _serialize(task.observation_space),
            "action_space": _serialize(task.action_space),
            "prompt": prompt_file,
            "info": task.info,
        }
        if task.context_steps is not None:
            meta["tasks"][name]["context_steps"] = task.context_steps
    if trainer_state is not None:
        write_atomic(folder / TRAINER_FILE, lambda tmp: torch.save(trainer_state, tmp))
    if any(has_text(task.observation_space) for task in tasks.values()):
        write_atomic(folder / TOKENIZER_FILE, (text_tokenizer or default_text_tokenizer()).model_proto)
    elif (folder / TOKENIZER_FILE).exists():
        (folder / TOKENIZER_FILE).unlink()
    write_atomic(folder / CONFIG_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2) + "\n"))
    kept = {CONFIG_FILE, WEIGHTS_FILE, *(t["prompt"] for t in meta["tasks"].values() if t["prompt"])}
    if trainer_state is not None:
        kept.add(TRAINER_FILE)
    for stale in folder.glob("prompt-*.safetensors"):
        if stale.name not in kept:
            stale.unlink()


def save_checkpoint_whole(path: str | os.PathLike, *args: Any, **kwargs: Any) -> Path:
    """save_checkpoint (same arguments) into a temporary folder beside `path`, which then replaces
    `path` whole; -> the path. A write that fails (a full disk, Ctrl-C) leaves no partial folder,
    and `path` as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        save_checkpoint(tmp, *args, **kwargs)
    except BaseException:  # a full disk, Ctrl-C: leave no partial folder behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path


def save_run_checkpoint(
    run: Path, model: Gato, tasks: dict[str, Task], trainer_state: dict[str, Any], step: int, keep: int,
    weights: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write `run/step-NNNNNNN/` whole (under a temporary name, then renamed), point `run/latest`
    at it, and delete all but the newest `keep` step folders; -> the new folder. weights: as in
    save_checkpoint.

    numpy integers inside trainer_state (e.g. bit generator states) are stored as Python ints, so
    that the file loads with torch.load(weights_only=True). A write that fails (a full disk, Ctrl-C)
    leaves no partial folder, and the previous steps and `latest` as they were.
    """
    name = f"step-{step:07d}"
    save_checkpoint_whole(run / name, model, tasks, trainer_state=_plain(trainer_state), weights=weights)
    write_atomic(run / LATEST_FILE, lambda tmp: Path(tmp).write_text(name + "\n"))
    for old in step_folders(run)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return run / name


def step_folders(run: Path) -> list[Path]:
    """The checkpoint folders a training run wrote into `run` (`step-` and seven digits), oldest first;
    anything else there (a user's `step-best`, `damaged-step-N`) is none of them."""
    return sorted(p for p in run.iterdir() if _STEP_FOLDER.fullmatch(p.name) and p.is_dir()) if run.is_dir() else []


def _plain(state: Any) -> Any:
    """numpy integers (at any depth of dicts and lists) -> Python ints."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_plain(v) for v in state]
    if isinstance(state, np.integer):
        return int(state)
    return state


def resolve(path: str | os.PathLike | None) -> Path:
    """The checkpoint folder that `path` names: itself, the step `latest` points at, the embedded
    one (None), or a Hugging Face Hub snapshot (`hf://org/name`, or `org/name` where no such local
    path exists; see gato_agent.hub)."""
    if path is None:
        folder = embedded_checkpoint_path()
        if not (folder / CONFIG_FILE).exists():
            raise FileNotFoundError(
                "no checkpoint is embedded in this version of gato-agent; pass the path of one saved by "
                "GatoAgent.save_pretrained or gato-train (gato-eval: --checkpoint PATH)"
            )
        return folder
    repo_id = hub_repo_id(path)
    folder = Path(path) if repo_id is None else download(repo_id)
    if not (folder / CONFIG_FILE).exists() and (folder / LATEST_FILE).is_file():
        step = (folder / LATEST_FILE).read_text().strip()
        if not _STEP_FOLDER.fullmatch(step) or not (folder / step).is_dir():  # never a path out of the run
            raise CheckpointError(f"{folder / LATEST_FILE} names the checkpoint {step!r}, which is not a step-NNNNNNN folder of {folder}")
        folder = folder / step
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder} is not a gato-agent checkpoint: {name} is missing")
    return folder


def load_checkpoint(
    path: str | os.PathLike | None = None,
    map_location: str | torch.device = "cpu",
    trainer_state: bool = False,
) -> Checkpoint:
    """Load a checkpoint folder (None: the embedded one), checking the weights against the config.

    Raises FileNotFoundError for a missing folder or file, CheckpointError (a ValueError) for a file
    that cannot be read (each names the file), ValueError when the weights do not match.
    """
    folder = resolve(path)
    check_readable(folder)
    meta = _read_meta(folder / CONFIG_FILE)
    try:
        config = GatoConfig.from_dict(meta["model"])
    except ValueError as e:
        raise CheckpointError(f"{folder / CONFIG_FILE}: its 'model' entry is not a valid GatoConfig: {e}") from None
    _check_size(folder, config)  # before Gato(config) allocates what an untrusted config.json asks
    model = Gato(config)
    state = upgrade_state_names(_load_tensors(folder / WEIGHTS_FILE, map_location, _weights_bytes(model)))
    check_state(model, state, folder / WEIGHTS_FILE, folder / CONFIG_FILE)
    check_values(model, state, folder / WEIGHTS_FILE)
    model.load_state_dict(state)
    model.to(map_location)
    tasks = {}
    for name, entry in meta["tasks"].items():
        prompt = None
        if entry.get("prompt"):
            if not isinstance(entry["prompt"], str) or Path(entry["prompt"]).name != entry["prompt"] or entry["prompt"] in (".", ".."):
                raise CheckpointError(f"{folder / CONFIG_FILE}: the prompt of task {name!r} is {entry['prompt']!r}; "
                                      "it must be the name of a file in the checkpoint's folder")
            tensors = _load_tensors(folder / entry["prompt"], map_location)
            missing = [f for f in _PROMPT_FIELDS if f not in tensors]
            if missing:
                raise CheckpointError(f"{folder / entry['prompt']} (the prompt of task {name!r}) lacks {', '.join(missing)}")
            if tensors["patches"].dtype == torch.uint8:  # pixels (older checkpoints hold the floats)
                tensors["patches"] = from_pixels(tensors["patches"], model.config)
            prompt = TokenBatch(*(tensors[f] for f in _PROMPT_FIELDS), tensors.get("vector_mask"), tensors.get("vectors"))
        spaces_of = [_read_space(folder / CONFIG_FILE, name, entry, kind) for kind in ("observation_space", "action_space")]
        steps = entry.get("context_steps")
        if steps is not None and (type(steps) is not int or steps < 1):
            raise CheckpointError(f"{folder / CONFIG_FILE}: the context_steps of task {name!r} is {steps!r}; it must be "
                                  "an integer >= 1 (or absent: the whole context)")
        tasks[name] = Task(*spaces_of, prompt, entry.get("info", {}), steps)
    state_dict = None
    if trainer_state:
        trainer_file = folder / TRAINER_FILE
        if not trainer_file.is_file():
            raise FileNotFoundError(f"{folder} holds no training state ({TRAINER_FILE}): it cannot be resumed")
        try:
            state_dict = torch.load(trainer_file, map_location=map_location, weights_only=True)
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as e:
            raise CheckpointError(f"{trainer_file} is damaged ({trainer_file.stat().st_size} bytes; "
                                  f"{type(e).__name__}: {_first_line(e)})") from None
    return Checkpoint(folder, model, tasks, state_dict, _read_tokenizer(folder, tasks))


def _read_tokenizer(folder: Path, tasks: dict[str, Task]) -> TextTokenizer | None:
    """tokenizer.model when a task observes text (None otherwise); FileNotFoundError when it is
    missing, CheckpointError when it is damaged."""
    if not any(has_text(task.observation_space) for task in tasks.values()):
        return None
    path = folder / TOKENIZER_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has tasks that observe text but no {TOKENIZER_FILE} to tokenize it")
    try:
        return TextTokenizer.load(path)
    except (RuntimeError, OSError) as e:
        raise CheckpointError(f"{path} is damaged ({path.stat().st_size} bytes; {type(e).__name__}: "
                              f"{_first_line(e)}); it should be the SentencePiece model the tasks' text was "
                              "tokenized with") from None


def _read_meta(path: Path) -> dict[str, Any]:
    """config.json, checked to be a gato-agent checkpoint's: a JSON object with `model` and `tasks`."""
    try:
        meta = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise CheckpointError(f"{path} is not valid JSON ({e}); it should be the config.json that "
                              "GatoAgent.save_pretrained or gato-train writes") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), dict):
        raise CheckpointError(f"{path} has no 'model' entry (the GatoConfig as a JSON object): it is not the "
                              "config.json of a gato-agent checkpoint")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path} has format_version {version!r}; this gato-agent reads {FORMAT_VERSION}")
    tasks = meta.setdefault("tasks", {})
    if not isinstance(tasks, dict) or not all(isinstance(t, dict) for t in tasks.values()):
        raise CheckpointError(f"{path}: 'tasks' must map each task name to its spaces, prompt and info")
    return meta


def _read_space(path: Path, task: str, entry: dict[str, Any], kind: str) -> spaces.Space:
    """The `kind` space of task `task` in config.json, or CheckpointError naming what is wrong."""
    try:
        return _deserialize(entry[kind])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        try:
            found = json.loads(entry[kind]).get("type")
        except (KeyError, TypeError, ValueError, AttributeError):
            found = None
        why = (f"{type(e).__name__}: {_first_line(e)}" if found in _SPACE_TYPES
               else f"unknown space type {found!r}" if found is not None else "not a serialized space")
        raise CheckpointError(f"{path}: the {kind.replace('_', ' ')} of task {task!r} cannot be read ({why}); "
                              f"readable: {', '.join(_SPACE_TYPES)}") from None


def _load_tensors(path: Path, map_location: str | torch.device, expected: int | None = None) -> dict[str, torch.Tensor]:
    """A safetensors file, or CheckpointError saying it is damaged: its size against the size its
    header (or, when the header itself is cut, `expected`: the bytes of the tensors it should hold) gives."""
    try:
        return load_file(path, device=str(map_location))
    except (SafetensorError, OSError) as e:
        size = path.stat().st_size if path.exists() else 0
        whole = safetensors_size(path)
        expected_text = (f"its header describes {whole} bytes" if whole is not None
                         else f"the weights of its config.json take at least {expected} bytes" if expected is not None
                         else "its header is cut off")
        raise CheckpointError(f"{path} is damaged: it holds {size} bytes, but {expected_text} "
                              f"(truncated or overwritten? {type(e).__name__}: {_first_line(e)}); "
                              "save or copy the checkpoint again") from None


def _check_size(folder: Path, config: GatoConfig) -> None:
    """CheckpointError, before any allocation, when the weights file cannot hold a model of `config`
    (an unreadable header is the damaged-file message of _load_tensors)."""
    weights = folder / WEIGHTS_FILE
    least = least_weights_bytes(config, element_size(weights))
    described = safetensors_size(weights)
    if described is None:
        _load_tensors(weights, "cpu", least)
    elif described < least:  # say what differs, from shapes alone: a meta-device model allocates nothing
        with torch.device("meta"):
            skeleton = Gato(config)
        check_state(skeleton, upgrade_state_names(header_shapes(weights)), weights, folder / CONFIG_FILE)
        raise CheckpointError(f"{weights} holds {described} bytes, but a model of {folder / CONFIG_FILE} (embed_dim="
                              f"{config.embed_dim}, ff_dim={config.ff_dim}, num_layers={config.num_layers}) takes at least "
                              f"{least}: the two files do not belong together; save or copy the checkpoint again")


def _weights_bytes(model: Gato) -> int:
    """Bytes of the model's tensors (a safetensors file of them is this plus its header)."""
    return sum(v.numel() * v.element_size() for v in model.state_dict().values())


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else ""


def _serialize(space: spaces.Space) -> str:
    """Minari's JSON for `space`, with Box bounds that are the same everywhere as one number."""
    return json.dumps(_box_bounds(serialize_space(space, to_string=False), compact=True))


def _deserialize(text: str) -> spaces.Space:
    """Inverse of `_serialize`; also reads Minari's own form (every bound written out)."""
    return deserialize_space(_box_bounds(json.loads(text), compact=False))


def _box_bounds(entry: Any, compact: bool) -> Any:
    """Minari's space dict with each Box's uniform bounds made one number (compact) or full arrays."""
    if isinstance(entry, list):
        return [_box_bounds(e, compact) for e in entry]
    if not isinstance(entry, dict):
        return entry
    entry = {k: _box_bounds(v, compact) for k, v in entry.items()}
    if entry.get("type") == "Box":
        for key in ("low", "high"):
            bound = np.asarray(entry[key])
            if compact and bound.size and np.all(bound == bound.flat[0]):
                entry[key] = bound.flat[0].item()
            elif not compact and bound.ndim == 0:
                entry[key] = np.full(entry["shape"], bound, dtype=entry["dtype"])
    return entry


def _file_name(task: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", task)
