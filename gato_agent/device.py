"""Devices and acting dtypes by name, for GatoAgent and the CLIs' --device and --dtype.

``cpu``, ``cuda`` (the current CUDA device), ``cuda:N`` and ``mps`` are accepted; one that this
machine does not have is a ValueError that names it and what is available, so a CLI can make it a
usage error before any model is loaded onto it.
"""

from __future__ import annotations

import torch

__all__ = ["DEVICE_FORMS", "DTYPES", "available_devices", "resolve_device", "resolve_dtype"]

DEVICE_FORMS = "cpu, cuda, cuda:N, mps"
# Acting dtypes: the model's matrix products run in this type under torch.autocast (weights stay as stored).
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def available_devices() -> list[str]:
    """The devices this machine can act on, e.g. ``["cpu", "cuda:0"]``."""
    found = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        found.append("mps")
    return found


def resolve_device(device: str | torch.device) -> torch.device:
    """``device`` as a torch.device; ValueError naming it when it is malformed or not on this machine."""
    name = str(device)
    try:
        parsed = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; accepted: {DEVICE_FORMS}") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} is not available: this machine has no CUDA device "
                             f"(available: {', '.join(available_devices())})")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} is not available: {torch.cuda.device_count()} CUDA device(s) "
                             f"(available: {', '.join(available_devices())})")
    elif parsed.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device {name!r} is not available on this machine (available: {', '.join(available_devices())})")
    elif parsed.type != "cpu":
        raise ValueError(f"unsupported device {name!r}; accepted: {DEVICE_FORMS}")
    return parsed


def resolve_dtype(dtype: str | torch.dtype | None) -> torch.dtype | None:
    """A dtype by name (``float32``, ``bfloat16``, ``float16``) or as given; ValueError otherwise."""
    if dtype is None or isinstance(dtype, torch.dtype):
        if dtype is not None and dtype not in DTYPES.values():
            raise ValueError(f"unsupported acting dtype {dtype}; accepted: {', '.join(DTYPES)}")
        return dtype
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; accepted: {', '.join(DTYPES)}")
    return DTYPES[dtype]
