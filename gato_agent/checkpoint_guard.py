"""What is checked of a checkpoint folder before anything in it is trusted: that this user may read
its files (a permission problem is not damage), and what its weights file's header says about its
size, so that an untrusted config.json cannot make the loader allocate more than the file holds."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import torch

from gato_agent.cli import UsageError
from gato_agent.config import GatoConfig

__all__ = ["CheckpointError", "CheckpointUnreadable", "check_readable", "check_state", "check_values", "element_size", "header_shapes", "least_weights_bytes",
           "safetensors_size", "shape_of"]

_MAX_HEADER = 100_000_000  # bytes: safetensors' own limit on a header
_DTYPE_BYTES = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2}  # a header's float dtypes: bytes a value


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (damaged, not JSON, missing entries, fields of the wrong
    type); the message names the file and says what was expected."""


class CheckpointUnreadable(UsageError):
    """A checkpoint file this user may not read (permissions): not damage, so --resume does not go
    back past it; the message says which file."""


def check_readable(folder: Path) -> None:
    """CheckpointUnreadable naming the first file of `folder` that this user may not read."""
    for path in sorted(folder.iterdir()):
        if path.is_file() and not os.access(path, os.R_OK):
            raise CheckpointUnreadable(f"{path}: permission denied (mode {path.stat().st_mode & 0o777:o}); "
                                       "give this user read access (chmod u+r) and run again")


def least_weights_bytes(config: GatoConfig, element_size: int = 4) -> int:
    """A lower bound of the bytes of a model of `config`, computed without building it: its token
    embeddings and, per block, attention (4 embed_dim^2) and feed-forward (2 embed_dim ff_dim), at
    `element_size` bytes a value (float32 4; a bf16 copy, gato_agent.surgery's, 2)."""
    e, f = config.embed_dim, config.ff_dim
    return element_size * (config.vocab_size * e + config.num_layers * (4 * e * e + 2 * e * f))


def element_size(path: Path) -> int:
    """The fewest bytes a value that a safetensors file's header gives any tensor (4, float32, when
    the header is unreadable or names no dtype this knows)."""
    read = _header(path)
    sizes = [_DTYPE_BYTES.get(v.get("dtype")) for k, v in (read[1].items() if read else ())
             if k != "__metadata__" and isinstance(v, dict)]
    return min((n for n in sizes if n is not None), default=4)


def safetensors_size(path: Path) -> int | None:
    """The size a safetensors file should have, from its header (None when the header is unreadable)."""
    read = _header(path)
    if read is None:
        return None
    length, header = read
    try:
        return 8 + length + max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    except (KeyError, TypeError, IndexError):
        return None


def header_shapes(path: Path) -> dict[str, torch.Tensor]:
    """The tensors a safetensors file's header describes, as empty meta tensors of their shapes."""
    _, header = _header(path) or (0, {})
    try:
        return {k: torch.empty(v["shape"], device="meta") for k, v in header.items() if k != "__metadata__"}
    except (KeyError, TypeError, ValueError, RuntimeError):  # a header of malformed entries describes nothing
        return {}


def _header(path: Path) -> tuple[int, dict] | None:
    """(length, header) of a safetensors file, or None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > _MAX_HEADER:
                return None
            header = json.loads(f.read(length))
        return (length, header) if isinstance(header, dict) else None
    except (OSError, struct.error, ValueError, MemoryError, OverflowError):
        return None


def shape_of(state: dict[str, tuple[int, ...]]) -> dict[str, int]:
    """The architecture fields that a set of weight shapes reveals."""
    found = {"num_layers": len({k.split(".")[1] for k in state if k.startswith("blocks.")})}
    if "tokens.weight" in state:
        found["vocab_size"], found["embed_dim"] = state["tokens.weight"]
    if "blocks.0.ff_in.weight" in state:
        found["ff_dim"] = state["blocks.0.ff_in.weight"][0]
    if "local_pos.weight" in state:
        found["max_observation_tokens"] = state["local_pos.weight"][0] - 1
    return found


def check_state(model: torch.nn.Module, state: dict[str, torch.Tensor], weights: Path, config: Path) -> None:
    """ValueError naming what differs when the weights' shapes are not those of a model of the config."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected == got:
        return
    config_says, weights_have = shape_of(expected), shape_of(got)
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
    raise ValueError(f"{weights} does not match {config}: " + "; ".join(problems))


def check_values(model: torch.nn.Module, state: dict[str, torch.Tensor], weights: Path) -> None:
    """CheckpointError when a tensor of `state` (shapes already checked) has another kind of dtype than
    the model's (int32 weights would be cast silently) or holds a NaN or an infinity (a diverged run)."""
    own = model.state_dict()
    kinds = [k for k, v in state.items() if v.is_floating_point() != own[k].is_floating_point()]
    if kinds:
        raise CheckpointError(f"{weights}: {kinds[0]} is {state[kinds[0]].dtype}, but the model's is {own[kinds[0]].dtype}; "
                              "it is not a gato-agent checkpoint's weights")
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"{weights}: {len(bad)} tensors hold NaN or infinite values ({', '.join(bad[:3])}"
                              f"{' ...' if len(bad) > 3 else ''}); the run that saved them diverged: use an earlier checkpoint")

