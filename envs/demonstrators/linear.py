"""Linear demonstrators: ``a = clip(W @ ((obs - mean) * inv_std), low, high)``.

The policies of Augmented Random Search (Mania et al. 2018, "Simple random search provides a
competitive approach to reinforcement learning", method V2-t): a single matrix acting on the
observation normalized by the running state statistics gathered during training. They act on the
plain observation that ``envs.make`` returns, so they need nothing from the env's internals.

Weights live in ``envs/assets/demonstrators/<task>.npz`` (a few hundred floats) and are produced by
``python -m envs.demonstrators.ars`` (see that module for the exact commands).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from envs.atomic import write_atomic
from envs.demonstrators.base import Demonstrator

# Keys every linear-policy ``.npz`` file holds; anything else in the file is free-form metadata.
_REQUIRED_KEYS = ("weights", "mean", "inv_std", "action_low", "action_high")


@dataclass
class LinearPolicy:
    """A linear map from the normalized observation to a clipped continuous action."""

    weights: np.ndarray  # (act_dim, obs_dim) float64 matrix W
    mean: np.ndarray  # (obs_dim,) observation mean subtracted before W
    inv_std: np.ndarray  # (obs_dim,) 1/std of the observation; 0 where the state never varied
    action_low: np.ndarray  # (act_dim,) lower bound the action is clipped to
    action_high: np.ndarray  # (act_dim,) upper bound the action is clipped to

    def __post_init__(self) -> None:
        act_dim, obs_dim = self.weights.shape
        for name, arr, size in (
            ("mean", self.mean, obs_dim),
            ("inv_std", self.inv_std, obs_dim),
            ("action_low", self.action_low, act_dim),
            ("action_high", self.action_high, act_dim),
        ):
            if arr.shape != (size,):
                raise ValueError(
                    f"LinearPolicy.{name} has shape {arr.shape}, expected ({size},) for weights "
                    f"of shape {self.weights.shape}"
                )

    @property
    def obs_dim(self) -> int:
        return int(self.weights.shape[1])

    @property
    def act_dim(self) -> int:
        return int(self.weights.shape[0])

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Action for one observation ``(obs_dim,)`` as float32 ``(act_dim,)``."""
        x = (np.asarray(obs, dtype=np.float64) - self.mean) * self.inv_std
        action = np.clip(self.weights @ x, self.action_low, self.action_high)
        return action.astype(np.float32)

    def save(self, path: str | Path, **metadata: Any) -> None:
        """Write the policy (and scalar/str ``metadata``) to ``path`` atomically (``.npz``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda f: np.savez(
            f,
            weights=self.weights,
            mean=self.mean,
            inv_std=self.inv_std,
            action_low=self.action_low,
            action_high=self.action_high,
            **{k: np.asarray(v) for k, v in metadata.items()},
        ))

    @classmethod
    def load(cls, path: str | Path) -> "LinearPolicy":
        """Read a policy written by :meth:`save`."""
        with np.load(path) as data:
            missing = [k for k in _REQUIRED_KEYS if k not in data]
            if missing:
                raise ValueError(f"{path} is not a linear-policy file: missing keys {missing}")
            return cls(**{k: np.asarray(data[k], dtype=np.float64) for k in _REQUIRED_KEYS})


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata entries of a linear-policy file (everything but the arrays of the policy)."""
    with np.load(path) as data:
        return {k: data[k].item() for k in data.files if k not in _REQUIRED_KEYS}


class LinearDemonstrator(Demonstrator):
    """A :class:`LinearPolicy` loaded from a weights file, acting on the observation alone."""

    def __init__(self, task_id: str, weights_path: str | Path) -> None:
        self.task_id = task_id
        self.weights_path = Path(weights_path)
        self.policy = LinearPolicy.load(self.weights_path)

    def act(self, obs: np.ndarray, env: gym.Env) -> np.ndarray:
        return self.policy(obs)
