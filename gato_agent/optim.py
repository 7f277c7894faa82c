"""The optimizer and its schedule [C.1, scaled down]: AdamW, linear warmup, cosine decay.

Weight decay applies to the matrices that map one space to another (linear and convolution
weights, and the token table, which is also the tied output head); norms, biases and the position
tables (the local observation positions and the patch rows and columns) are left undecayed. The
split goes by module type, so a renamed or added submodule lands in the right group.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from gato_agent.model import Gato

__all__ = ["CosineSchedule", "parameter_groups", "build_optimizer"]


@dataclass(frozen=True)
class CosineSchedule:
    """Linear warmup to `lr`, then cosine decay to `lr * min_lr_ratio` at step `steps`."""

    lr: float  # peak learning rate
    min_lr_ratio: float  # the decay ends at lr * min_lr_ratio
    warmup_steps: int  # steps of linear warmup
    steps: int  # the step at which the decay ends (the run's length)

    def __call__(self, step: int) -> float:
        """The learning rate of optimizer step `step` (0-based)."""
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps))
        return self.lr * (self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def parameter_groups(model: Gato, weight_decay: float) -> list[dict]:
    """Two AdamW groups of the trainable weights (frozen ones, requires_grad False, are left out):
    decayed matrices, and the rest (norms, biases, position tables)."""
    positions = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding) and m is not model.tokens}
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.dim() >= 2 and id(p) not in positions]
    chosen = {id(p) for p in decay}
    rest = [p for p in trainable if id(p) not in chosen]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def build_optimizer(model: Gato, lr: float, weight_decay: float, device: torch.device) -> torch.optim.AdamW:
    """AdamW (betas 0.9, 0.95) over `parameter_groups`; the fused kernel on CUDA."""
    return torch.optim.AdamW(parameter_groups(model, weight_decay), lr=lr, betas=(0.9, 0.95), fused=device.type == "cuda")
