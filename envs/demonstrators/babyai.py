"""BabyAI's own bot (``minigrid.utils.baby_ai_bot.BabyAIBot``) as a demonstrator of every level.

The bot plans on the simulator's state (the grid, the agent's position, the parsed instructions),
which it reaches through ``env.unwrapped``, so it needs the env, as the Atari demonstrators need
the console's RAM. A new bot is made at each ``reset``; ``act`` asks it to replan every step.

The bot is told nothing of the action that was executed: it assumes its own suggestion was taken.
Under ``gato-collect --action-noise`` or ``--label expert`` another action may have been, and the
bot's plan may then no longer fit the state (it asserts, e.g. that it carries what it meant to pick
up). Then a fresh bot is made from the current state, which it explores anew.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from envs.demonstrators.base import Demonstrator

__all__ = ["BabyAIDemonstrator"]


class BabyAIDemonstrator(Demonstrator):
    """Acts with a fresh ``BabyAIBot`` per episode on a ``BabyAI-*`` level of ``envs.make``."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self._bot = None

    def reset(self, env: gym.Env) -> None:
        from minigrid.utils.baby_ai_bot import BabyAIBot

        self._bot = BabyAIBot(env.unwrapped)

    def act(self, obs: Any, env: gym.Env) -> Any:
        if self._bot is None:
            raise RuntimeError("call reset(env) after env.reset() before act()")
        try:
            return np.int64(self._bot.replan())
        except AssertionError:  # its plan no longer fits the state: another action was executed
            self.reset(env)
            return np.int64(self._bot.replan())
