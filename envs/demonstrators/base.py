"""The demonstrator interface shared by scripted controllers and learned policies.

A demonstrator may look inside the env it plays (Atari RAM, MuJoCo ``qpos``/``qvel``), so it is
handed the env at every step beside the observation::

    demo = get_demonstrator("ALE/Pong-v5")
    obs, info = env.reset(seed=0)
    demo.reset(env)
    while True:
        obs, reward, terminated, truncated, info = env.step(demo.act(obs, env))
        ...

``env`` is the env the observation came from, as built by ``envs.make`` (wrappers included; a
demonstrator reaches the simulator through ``env.unwrapped``). :meth:`Demonstrator.bind` turns a
demonstrator into a plain ``act(obs)`` policy for one env, the protocol of ``rollouts``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class Demonstrator:
    """Base class: ``reset(env)`` at the start of each episode, then ``act(obs, env)`` per step."""

    #: The task id this demonstrator plays (an ``envs.make`` id such as ``"Hopper-v5"``).
    task_id: str

    def reset(self, env: gym.Env) -> None:
        """Forget per-episode state; called right after ``env.reset``. Stateless by default."""

    def act(self, obs: Any, env: gym.Env) -> Any:
        """The action (an element of ``env.action_space``) for observation ``obs`` of ``env``."""
        raise NotImplementedError

    def bind(self, env: gym.Env) -> "BoundDemonstrator":
        """This demonstrator tied to ``env``: an object with ``act(obs)`` and ``reset()``."""
        return BoundDemonstrator(self, env)


class BoundDemonstrator:
    """A demonstrator tied to one env, usable wherever a policy with ``act(obs)`` is expected."""

    def __init__(self, demonstrator: Demonstrator, env: gym.Env) -> None:
        self.demonstrator = demonstrator
        self.env = env

    def reset(self) -> None:
        self.demonstrator.reset(self.env)

    def act(self, obs: Any) -> Any:
        return self.demonstrator.act(obs, self.env)


def perturb(action: Any, space: spaces.Space, scale: float, rng: np.random.Generator) -> Any:
    """``action`` with exploration noise, still inside ``space``.

    Box actions get Gaussian noise with std ``scale`` times each dimension's half-range, clipped to
    the bounds; any other space's action is replaced by ``space.sample()`` with probability
    ``scale`` (seed the space for a reproducible stream). gato-collect's ``--action-noise`` (DART)
    and ``python -m envs.demonstrators.score --action-noise`` both use it.
    """
    if isinstance(space, spaces.Box):
        half = (space.high - space.low) / 2.0
        noisy = action + rng.normal(0.0, scale, size=space.shape) * half
        return np.clip(noisy, space.low, space.high).astype(space.dtype)
    return space.sample() if rng.random() < scale else action
