"""Checks of recorded actions against an action space, and spaces and task ids described in a line.

gato-train's data loading calls `check_actions` on every episode, so that a label outside the
dataset's action space (a NaN, an out-of-range index, another shape) is an error naming the
episode and step instead of a target token that is silently clipped, or masked into an infinite loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["check_actions", "describe_space", "describe_tasks", "list_names"]

_MAX_SPACE_CHARS = 160  # a space in a message: longer ones (a Dict of image bounds) are summarized
_MAX_NAMES = 8  # task ids in a message: more are counted


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


def list_names(names: Iterable[str], rest: str = "") -> str:
    """Ids for a message: all of them, or the first few, how many more and `rest` (where they are)."""
    names = list(names)
    if len(names) <= _MAX_NAMES:
        return ", ".join(names)
    return ", ".join(names[:_MAX_NAMES]) + f" and {len(names) - _MAX_NAMES} more" + (f" ({rest})" if rest else "")


def describe_tasks(tasks: Mapping[str, tuple[spaces.Space, spaces.Space]]) -> str:
    """Tasks grouped by their (observation, action) spaces: "obs -> action: A, B; obs2 -> action2: C"."""
    groups: dict[str, list[str]] = {}
    for name, (observation, action) in tasks.items():
        groups.setdefault(f"{describe_space(observation)} -> {describe_space(action)}", []).append(name)
    return "; ".join(f"{arrow}: {list_names(names)}" for arrow, names in groups.items())


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
