"""A tiny task of the project's own with Dict observations, for end-to-end tests and examples.

``GatoToy/DictReach-v0``: a point on a line must reach the goal on the side the observation names.
Observations are ``{"position": Box(-1, 1, (1,)), "goal": Discrete(2)}`` (0: left end, 1: right
end); actions ``Discrete(3)`` move it by -0.25, 0 or +0.25. Reaching the goal ends the episode
with +1; every other step costs 0.05; episodes last at most 16 steps.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = ["DICT_REACH_ID", "DictReach", "reach_goal"]

DICT_REACH_ID = "GatoToy/DictReach-v0"
_STEP = 0.25


class DictReach(gym.Env):
    """The DictReach task (see the module doc)."""

    metadata = {"render_modes": []}

    def __init__(self, render_mode: str | None = None) -> None:
        """Build the task; it draws nothing (``render_mode`` must be None)."""
        if render_mode is not None:
            raise ValueError(f"DictReach draws nothing; render_mode must be None, got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.Dict(
            {"position": spaces.Box(-1.0, 1.0, (1,), np.float32), "goal": spaces.Discrete(2)}
        )
        self.action_space = spaces.Discrete(3)
        self._position, self._goal = 0.0, 0

    def _obs(self) -> dict[str, Any]:
        return {"position": np.array([self._position], np.float32), "goal": self._goal}

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict[str, Any], dict]:
        super().reset(seed=seed)
        self._position = float(self.np_random.uniform(-0.5, 0.5))
        self._goal = int(self.np_random.integers(2))
        return self._obs(), {}

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict]:
        self._position = float(np.clip(self._position + _STEP * (int(action) - 1), -1.0, 1.0))
        reached = abs(self._position - (1.0 if self._goal else -1.0)) < _STEP / 2
        return self._obs(), 1.0 if reached else -0.05, reached, False, {}


def reach_goal(obs: dict[str, Any]) -> int:
    """The optimal action: towards the goal's end."""
    return 2 if obs["goal"] == 1 else 0


if DICT_REACH_ID not in gym.registry:
    gym.register(DICT_REACH_ID, entry_point="envs.toy:DictReach", max_episode_steps=16)
