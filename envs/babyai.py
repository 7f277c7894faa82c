"""BabyAI (Chevalier-Boisvert et al. 2019), the ``BabyAI-*`` levels of the ``minigrid`` package.

Each observation pairs a mission sentence ("go to the red ball") with the agent's 7x7 egocentric
view of the grid, three codes per cell (object, colour, state), and its facing direction. The
family declares what each part is in Gymnasium's own vocabulary, so that any consumer reads the
categories right:

- ``grid``: ``MultiDiscrete`` of shape (7, 7), uint8, one category per cell that names its object,
  colour and door state together: ``(object * 6 + colour) * 3 + state`` with minigrid's 11 objects,
  6 colours and 3 states (``OBJECT_TO_IDX``, ``COLOR_TO_IDX``, ``STATE_TO_IDX``), 198 values.
  Categories, not pixels (minigrid declares its ``image`` as a uint8 ``Box`` of 0..255), and one
  token a cell: "a red ball" is one token at the ball's place, not three to be bound together
  (docs/design.md, "One token a cell"). ``cell_codes`` gives minigrid's three codes back;
- ``mission``: a ``gymnasium.spaces.Text`` (minigrid's ``MissionSpace`` is not a ``Text``, and
  Minari cannot store it);
- ``direction``: ``Discrete(4)``.

Rewards are minigrid's: ``1 - 0.9 * steps / max_steps`` on success, 0 otherwise; each level caps
its own episodes (a truncation). ``render()`` gives the whole grid as RGB (32-pixel tiles).

``python -m envs.babyai corpus`` prints the mission corpus the shipped text tokenizer was trained on.
"""

from __future__ import annotations

import contextlib
import io
import string
import sys
from collections.abc import Iterable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

__all__ = [
    "MISSION_MAX_LENGTH",
    "BabyAIObservation",
    "babyai_ids",
    "cell_codes",
    "is_babyai_id",
    "make_babyai",
    "mission_corpus",
]

PREFIX = "BabyAI-"
MISSION_MAX_LENGTH = 256  # characters; the longest mission of 50 seeds of every level has 166
MISSION_CHARSET = string.ascii_lowercase + " ,"  # every character of the BabyAI grammar
CORPUS_SEEDS = 50  # resets per level behind the shipped tokenizer's corpus


def _minigrid():
    try:
        import minigrid  # registers the MiniGrid-* and BabyAI-* ids
    except ImportError:
        raise ImportError("BabyAI needs the minigrid package: pip install 'gato-agent[babyai]'") from None
    return minigrid


def is_babyai_id(task_id: str) -> bool:
    """True for a ``BabyAI-*`` id that minigrid registers (False when minigrid is missing)."""
    if not task_id.startswith(PREFIX):
        return False
    try:
        _minigrid()
    except ImportError:
        return False
    return task_id in gym.registry


def babyai_ids() -> list[str]:
    """Every ``BabyAI-*`` id of the installed minigrid, in registration order ([] without it)."""
    try:
        _minigrid()
    except ImportError:
        return []
    return [k for k in gym.registry if k.startswith(PREFIX)]


def _code_counts() -> tuple[int, int, int]:
    """How many objects, colours and door states minigrid encodes (11, 6, 3)."""
    from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX, STATE_TO_IDX

    return len(OBJECT_TO_IDX), len(COLOR_TO_IDX), len(STATE_TO_IDX)


def cell_codes(grid: np.ndarray) -> np.ndarray:
    """The inverse of the cell encoding: cells (..., H, W) -> minigrid's codes (..., H, W, 3)
    (object, colour, state)."""
    _, colours, states = _code_counts()
    cells = np.asarray(grid, dtype=np.int64)
    return np.stack([cells // (colours * states), cells // states % colours, cells % states], -1).astype(np.uint8)


class BabyAIObservation(gym.ObservationWrapper):
    """Declares a BabyAI observation in standard spaces: the grid as one category a cell, the mission as Text."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        objects, colours, states = _code_counts()
        view = env.observation_space["image"].shape[:2]  # (view, view)
        self._scale = np.array([colours * states, states, 1])  # (3,): codes -> one cell category
        self.observation_space = spaces.Dict(
            {
                "direction": spaces.Discrete(4),
                "grid": spaces.MultiDiscrete(np.full(view, objects * colours * states), dtype=np.uint8),
                "mission": spaces.Text(MISSION_MAX_LENGTH, min_length=0, charset=MISSION_CHARSET),
            }
        )

    def observation(self, observation: dict[str, Any]) -> dict[str, Any]:
        codes = np.asarray(observation["image"], dtype=np.int64)  # (view, view, 3)
        return {
            "direction": np.int64(observation["direction"]),
            "grid": (codes @ self._scale).astype(np.uint8),  # (view, view)
            "mission": str(observation["mission"]),
        }


def make_babyai(
    task_id: str, render: bool = False, max_episode_steps: int | None = None, **kwargs: Any
) -> tuple[gym.Env, dict[str, Any]]:
    """A BabyAI level in standard spaces (see the module doc); returns (env, make kwargs).

    ``max_episode_steps`` adds a cap on top of the level's own; ``kwargs`` go to ``gym.make``.
    """
    _minigrid()
    if not is_babyai_id(task_id):
        raise ValueError(f"{task_id!r} is not a BabyAI level; known: {', '.join(babyai_ids())}")
    with contextlib.redirect_stdout(io.StringIO()):  # level generation prints its rejections
        env = gym.make(
            task_id, render_mode="rgb_array" if render else None, max_episode_steps=max_episode_steps, **kwargs
        )
    return _Quiet(BabyAIObservation(env)), dict(kwargs)


class _Quiet(gym.Wrapper):
    """Silences what minigrid prints while it generates a level (on every reset)."""

    def reset(self, **kwargs: Any):
        with contextlib.redirect_stdout(io.StringIO()):
            return self.env.reset(**kwargs)


def mission_corpus(task_ids: Iterable[str] | None = None, seeds: int = CORPUS_SEEDS) -> list[str]:
    """The distinct missions of `seeds` resets of each level (default: every BabyAI level), sorted."""
    missions = set()
    for task_id in babyai_ids() if task_ids is None else task_ids:
        env, _ = make_babyai(task_id)
        for seed in range(seeds):
            try:
                obs, _ = env.reset(seed=seed)
            except Exception:  # noqa: BLE001 - a few levels fail to generate some seeds
                continue
            missions.add(obs["mission"])
        env.close()
    return sorted(missions)


def main(argv: list[str] | None = None) -> None:
    """``python -m envs.babyai corpus``: print the mission corpus, one a line."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["corpus"]:
        raise SystemExit("usage: python -m envs.babyai corpus")
    print("\n".join(mission_corpus()))


if __name__ == "__main__":
    main()
