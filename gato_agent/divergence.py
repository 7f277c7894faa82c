"""Training that watches its loss: a step whose loss, gradient norm or weights are not finite (NaN,
inf) stops the run before a checkpoint of it is written, so the newest checkpoint on disk is always
a finite one and rotation never deletes the last good step.

gato_agent.train calls `check_step` after every optimizer step and `check_weights` before every
checkpoint; both raise `Diverged` (a RunFailed: exit status 1) naming the step.
"""

from __future__ import annotations

import math

import torch

from gato_agent.cli import RunFailed

__all__ = ["Diverged", "non_finite_step", "non_finite_weights", "check_weights", "diverged"]


class Diverged(RunFailed):
    """Training diverged: a loss, gradient norm or weight that is NaN or infinite (exit status 1)."""


def non_finite_step(loss: float, grad_norm: float, scaled: bool) -> str | None:
    """What of one step is not finite ("the loss is nan", ...), or None when all is.

    scaled: fp16 loss scaling is on; an infinite gradient norm is then the GradScaler's overflow,
    whose step it skips (the weights stay as they were), not a divergence.
    """
    if not math.isfinite(loss):
        return f"the loss is {loss} (grad norm {grad_norm:.4g})"
    if not scaled and not math.isfinite(grad_norm):
        return f"the gradient norm is {grad_norm} (loss {loss:.4g})"
    return None


def non_finite_weights(model: torch.nn.Module) -> list[str]:
    """Names of the parameters (this rank's, or its shards) that hold a NaN or an infinity."""
    return [name for name, p in model.named_parameters() if not bool(torch.isfinite(p.detach()).all())]


def check_weights(names: list[str], step: int, intact: str) -> None:
    """Diverged naming the step and the first weights, when `names` (non_finite_weights) is not empty."""
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise Diverged(f"step {step}: the weights {shown} are not finite: training diverged; "
                       f"this step was not saved; {intact}; {_advice(intact)}")


def diverged(what: str, step: int, intact: str) -> Diverged:
    """The error of a step whose loss or gradient norm is not finite (`what`: non_finite_step's text)."""
    return Diverged(f"step {step}: {what}: training diverged; stopped before saving it; {intact}; {_advice(intact)}")


def _advice(intact: str) -> str:
    if intact.startswith("no checkpoint"):
        return "start again with a lower --lr or --grad-clip"
    return ("--resume goes on from that checkpoint and repeats the same steps exactly; to get past them, "
            "start a new run from its weights with --init and a lower --lr or --grad-clip")
