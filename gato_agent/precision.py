"""Mixed precision for training: torch.autocast, and a GradScaler for fp16.

`auto` is bf16 on a CUDA device that supports it and fp32 elsewhere: on the CPUs measured here
bf16 is 2-3x slower than fp32. Weights and optimizer state stay fp32 in every mode; autocast runs
the matrix products in the chosen type and the loss is taken in fp32 (gato_agent.loss). fp16 scales
the loss so that small gradients do not underflow (torch.amp.GradScaler, on CUDA or CPU).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Literal

import torch
from torch import Tensor

__all__ = ["PrecisionName", "resolve_precision", "MixedPrecision"]

PrecisionName = Literal["auto", "fp32", "bf16", "fp16"]
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(name: PrecisionName, device: torch.device) -> str:
    """`auto` made concrete for `device`; bf16 asked of a CUDA device without it is a ValueError."""
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if name == "auto":
        return "bf16" if cuda_bf16 else "fp32"
    if name not in _DTYPES:
        raise ValueError(f"unknown precision {name!r}; known: auto, {', '.join(_DTYPES)}")
    if name == "bf16" and device.type == "cuda" and not cuda_bf16:
        raise ValueError(f"--precision bf16: {torch.cuda.get_device_name(device)} does not support bfloat16; use fp16 or fp32")
    return name


class MixedPrecision:
    """The forward pass's autocast and the backward pass and optimizer step that go with it."""

    def __init__(self, name: PrecisionName, device: torch.device):
        self.name = resolve_precision(name, device)
        self.device = device
        self.dtype = _DTYPES[self.name]
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.name == "fp16")

    def autocast(self) -> AbstractContextManager:
        """Wrap the forward pass and the loss in this."""
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=self.name != "fp32")

    def step(self, loss: Tensor, optimizer: torch.optim.Optimizer, parameters: Iterable[Tensor], grad_clip: float) -> Tensor:
        """Backward, clip the global gradient norm to grad_clip (on unscaled gradients), optimizer
        step; -> the norm before clipping. In fp32 and bf16 this is plain backward, clip, step; in fp16
        a step whose gradients overflowed is skipped and the scale lowered."""
        self.backward(loss)
        return self.update(optimizer, parameters, grad_clip)

    def backward(self, loss: Tensor) -> None:
        """Add loss's gradients (scaled in fp16) to the parameters' .grad: one micro-batch of a step."""
        self.scaler.scale(loss).backward()

    def update(self, optimizer: torch.optim.Optimizer, parameters: Iterable[Tensor], grad_clip: float) -> Tensor:
        """The optimizer step on the gradients that `backward` gathered: unscale, clip the global
        norm to grad_clip, step; -> the norm before clipping."""
        self.scaler.unscale_(optimizer)
        norm = torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
        self.scaler.step(optimizer)
        self.scaler.update()
        return norm

    def state_dict(self) -> dict[str, Any]:
        """The loss scale's state (empty unless fp16), for --resume."""
        return self.scaler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state:
            self.scaler.load_state_dict(state)
