"""Meta-World's scripted experts (``metaworld.policies``) as demonstrators of the 50 tasks.

Each task has a hand-written policy, ``ENV_POLICY_MAP["pick-place-v3"]()``, that reads the 39-float
observation (hand, objects and goal positions) and returns the ``Box(-1, 1, (4,))`` action with
``get_action(obs)``. It keeps no state and never looks inside the env, so this demonstrator needs
no env either (``act`` ignores it).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from envs.demonstrators.base import Demonstrator
from envs.metaworld import metaworld_name, require_metaworld

__all__ = ["MetaWorldDemonstrator"]


class MetaWorldDemonstrator(Demonstrator):
    """Acts with metaworld's scripted policy of a ``Meta-World/<task>-v3`` task."""

    needs_env = False  # reads only the observation

    def __init__(self, task_id: str) -> None:
        name = metaworld_name(task_id)
        if name is None:
            raise ValueError(f"{task_id!r} is not a Meta-World/<task>-v3 id")
        require_metaworld()
        from metaworld.policies import ENV_POLICY_MAP

        self.task_id = task_id
        self.policy = ENV_POLICY_MAP[name]()

    def act(self, obs: Any, env: gym.Env | None = None) -> np.ndarray:
        """The scripted action for ``obs``, clipped to the action box, as float32."""
        return np.clip(self.policy.get_action(np.asarray(obs)), -1.0, 1.0).astype(np.float32)
