"""Checks of recorded actions against an action space, and spaces described in a line.

gato-train's data loading calls `check_actions` on every episode, so that a label outside the
dataset's action space (a NaN, an out-of-range index, another shape) is an error naming the
episode and step instead of a target token that is silently clipped, or masked into an infinite loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["check_actions", "describe_space"]

_MAX_SPACE_CHARS = 160  # a space in a message: longer ones (a Dict of image bounds) are summarized


def describe_space(space: spaces.Space) -> str:
    """`space` as a short string: str(space), or for a long one its type, shape and dtype."""
    text = str(space)
    if len(text) <= _MAX_SPACE_CHARS:
        return text
    if isinstance(space, spaces.Dict):
        return "Dict(" + ", ".join(f"{k}: {describe_space(v)}" for k, v in space.spaces.items()) + ")"
    if isinstance(space, spaces.Tuple):
        return "Tuple(" + ", ".join(describe_space(v) for v in space.spaces) + ")"
    if isinstance(space, spaces.Box):
        return f"Box(low {float(np.min(space.low)):g}..{float(np.max(space.low)):g}, high {float(np.min(space.high)):g}.." \
               f"{float(np.max(space.high)):g}, {space.shape}, {space.dtype})"
    if isinstance(space, spaces.MultiDiscrete):
        return f"MultiDiscrete(nvec {int(space.nvec.min())}..{int(space.nvec.max())}, {space.shape})"
    return text[: _MAX_SPACE_CHARS - 3] + "..."


def check_actions(actions: Any, space: spaces.Space, steps: int, where: str) -> None:
    """ValueError (`where`, the step, the value and the space) unless `actions`, the `steps`
    actions of one episode stacked on a leading axis, all lie in `space` (Discrete,
    MultiDiscrete or Box: the action spaces Gato tokenizes)."""
    a = np.asarray(actions)
    shape = (steps, *(space.shape or ()))
    if a.shape != shape:
        raise ValueError(f"{where}: the actions have shape {a.shape}, but {steps} steps of the action space "
                         f"{describe_space(space)} have shape {shape}")
    if isinstance(space, spaces.Box):
        inside = (a >= space.low) & (a <= space.high)  # NaN is inside neither bound
    elif isinstance(space, (spaces.Discrete, spaces.MultiDiscrete)):
        start = np.asarray(space.start)
        count = np.asarray(space.n if isinstance(space, spaces.Discrete) else space.nvec)
        inside = (a >= start) & (a < start + count) & (a == np.round(a))  # NaN and 0.5 fail too
    else:
        return
    if not np.all(inside):
        step = int(np.argwhere(~inside.reshape(steps, -1))[0][0])
        value = a[step].tolist()
        raise ValueError(f"{where}, step {step}: the action {value} is outside the dataset's action space "
                         f"{describe_space(space)}")
