"""Actions checked against the task's action space, in gato-collect and gato-eval alike: an action
outside it (out of bounds, NaN, not an integer, another shape) is an error naming the step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["ActionError", "ActionChecker"]


class ActionError(ValueError):
    """A policy's action outside the task's action space."""


def describe_space(space: spaces.Space) -> str:
    """The space in a short line (gato_agent's, imported only for a message: the env side stays torch-free)."""
    from gato_agent.space_checks import describe_space as describe

    return describe(space)


class ActionChecker:
    """Validates a policy's actions against an action space, cheaply enough to run every step."""

    def __init__(self, space: spaces.Space, error: type[Exception] = ActionError) -> None:
        self.space, self.error = space, error
        if isinstance(space, spaces.Box):
            self.low, self.high = space.low, space.high

    def __call__(self, action: Any, where: Callable[[], str]) -> Any:
        """``action`` as an element of the space (dtype cast), or the checker's error saying why not.

        ``where`` describes the step for the error message; it is only called on an error.
        """
        space = self.space
        if isinstance(space, spaces.Box):
            a = np.asarray(action)
            if a.shape != space.shape:
                raise self.error(f"{where()}: action of shape {a.shape} for the action space "
                                 f"{describe_space(space)} (shape {space.shape})")
            if not ((a >= self.low).all() and (a <= self.high).all()):  # NaN fails both too
                raise self.error(f"{where()}: action {a.tolist()} is outside the action "
                                 f"space {describe_space(space)}")
            return a.astype(space.dtype, copy=False)
        if isinstance(space, spaces.Discrete):
            a = np.asarray(action)
            integral = np.issubdtype(a.dtype, np.integer) or (
                np.issubdtype(a.dtype, np.floating) and a.shape == () and bool(np.isfinite(a)) and float(a) == int(a))
            if a.shape != () or not integral:
                raise self.error(f"{where()}: action {action!r} is not an integer of {describe_space(space)}")
            value = int(a)
            if not space.start <= value < space.start + space.n:
                raise self.error(f"{where()}: action {value} is outside the action space "
                                 f"{describe_space(space)}")
            return np.int64(value)
        if not space.contains(action):
            raise self.error(f"{where()}: action {action!r} is outside the action space {describe_space(space)}")
        return action
