"""What the evaluation loop needs of its sub-envs whether they step in this process or in their own,
and the success flag of each sub-env's running episode (see :mod:`rollouts.evaluate`)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

__all__ = ["SubEnvs", "SuccessTracker"]


class SubEnvs:
    """What the loop needs of each sub-env, in one process (sync) or one process each (async)."""

    def __init__(self, vec: gym.vector.VectorEnv) -> None:
        self.vec = vec
        self.local = getattr(vec, "envs", None)  # SyncVectorEnv's envs; None for AsyncVectorEnv

    def render(self, i: int) -> Any:
        """Sub-env ``i``'s frame (async: rendered in its process, through the vector env)."""
        return self.local[i].render() if self.local is not None else self.vec.call("render")[i]

    def seed_actions(self, agent: Any, i: int, seed: int) -> None:
        """Seed the action space that random actions of sub-env ``i`` are drawn from for its next episode."""
        if self.local is not None:
            self.local[i].action_space.seed(seed)
        elif hasattr(agent, "seed_env"):  # async: the policy samples its own copy of the space
            agent.seed_env(i, seed)


class SuccessTracker:
    """Per sub-env: did the env report success (``success`` or ``is_success``) at any step of its episode."""

    KEYS = ("success", "is_success")

    def __init__(self, n: int) -> None:
        self.rule: str | None = None  # how success was read, e.g. "info['success'] at any step"
        self.reported = np.zeros(n, dtype=bool)  # the running episode's info carried a flag
        self.achieved = np.zeros(n, dtype=bool)  # ... and it was set at some step
        self.flags: list[bool | None] = []  # per finished episode, in the order they finished

    def update(self, info: dict[str, Any]) -> None:
        """Read one vector step's info."""
        for key in self.KEYS:
            if key in info:
                mask = np.asarray(info.get(f"_{key}", np.ones(len(self.reported), bool)), dtype=bool)
                self.reported |= mask
                self.achieved |= mask & np.asarray(info[key]).astype(bool)
                self.rule = f"info[{key!r}] at any step"

    def end_episode(self, i: int) -> None:
        """Sub-env ``i``'s episode ended: record its flag (None: its env reported none)."""
        self.flags.append(bool(self.achieved[i]) if self.reported[i] else None)

    def clear(self, done: np.ndarray) -> None:
        """The sub-envs of ``done`` start new episodes."""
        self.reported[done] = False
        self.achieved[done] = False
