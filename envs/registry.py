"""The task registry: one ``make`` for Atari, MuJoCo and any other Gymnasium id, plus suites.

Families:

- ``atari``: ``ALE/<Game>-v5`` under the protocol of :mod:`envs.atari`;
- ``mujoco``: the 11 standard v5 tasks of :mod:`envs.mujoco`;
- ``babyai``: the ``BabyAI-*`` levels of :mod:`envs.babyai` (with the ``minigrid`` package), their
  grid declared as categories and their mission as Text;
- ``gymnasium``: any other registered Gymnasium id, built by ``gym.make`` with its defaults.

Every env gets ``RecordEpisodeStatistics`` as the first wrapper added on top of what ``gym.make``
returns, before anything that could change rewards or end episodes early (life-loss signals,
reward clipping), so ``info["episode"]["r"]`` is the true game score and ``["l"]`` the true
length. It sits above ``gym.make``'s own ``TimeLimit`` so capped episodes are recorded too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

import gymnasium as gym
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.wrappers import RecordEpisodeStatistics

from envs.atari import atari_ids, is_atari_id, make_atari
from envs.babyai import babyai_ids, is_babyai_id, make_babyai
from envs.mujoco import is_mujoco_id, make_mujoco, mujoco_ids

__all__ = [
    "Family",
    "TaskSpec",
    "UnknownTaskError",
    "SUITES",
    "known_task_ids",
    "task_family",
    "suite",
    "make",
    "make_vector",
]

Family = Literal["atari", "mujoco", "babyai", "gymnasium"]

SUITES: dict[str, tuple[str, ...]] = {
    # Two Atari games and five MuJoCo tasks, from the easiest (pendulums) to locomotion.
    "default": (
        "ALE/Breakout-v5",
        "ALE/Pong-v5",
        "InvertedPendulum-v5",
        "InvertedDoublePendulum-v5",
        "Reacher-v5",
        "HalfCheetah-v5",
        "Hopper-v5",
    ),
    # The two BabyAI levels meant for the default suite once the embedded checkpoint learns them
    # (docs/design-text.md): one fixed mission, then the same room with the mission drawn per episode.
    "babyai": ("BabyAI-GoToRedBall-v0", "BabyAI-GoToLocal-v0"),
}


class UnknownTaskError(ValueError):
    """A task id that no family builds; the message names the closest known ids."""


@dataclass(frozen=True)
class TaskSpec:
    """How a task id is built."""

    task_id: str  # the Gymnasium id, e.g. "ALE/Breakout-v5"
    family: Family  # which builder makes it
    make_kwargs: dict[str, Any] = field(default_factory=dict)  # the kwargs that define the task


def known_task_ids() -> list[str]:
    """Every id :func:`make` accepts: Atari v5, the MuJoCo v5 tasks, BabyAI, then all other registered ids."""
    first = atari_ids() + mujoco_ids() + babyai_ids()
    seen = set(first)
    return first + sorted(k for k in gym.registry if k not in seen)


def task_family(task_id: str) -> Family:
    """The family that builds ``task_id``; raises :class:`UnknownTaskError` if none does."""
    if is_atari_id(task_id):
        return "atari"
    if is_mujoco_id(task_id):
        return "mujoco"
    if is_babyai_id(task_id):
        return "babyai"
    if task_id in gym.registry:
        return "gymnasium"
    known = known_task_ids()
    close = difflib.get_close_matches(task_id, known, n=5, cutoff=0.5)
    if not close:  # e.g. "breakout": compare case-insensitively against the game names
        lowered = {k.lower(): k for k in known}
        close = [lowered[k] for k in difflib.get_close_matches(task_id.lower(), lowered, n=5)]
    hint = f"closest known ids: {', '.join(close)}" if close else "no known id is close"
    raise UnknownTaskError(
        f"unknown env id {task_id!r}; {hint}. Accepted: any ALE/<Game>-v5, the MuJoCo tasks "
        f"{', '.join(mujoco_ids())}, BabyAI-* (pip install 'gato-agent[babyai]'), or any other registered Gymnasium id."
    )


def suite(name: str) -> tuple[str, ...]:
    """The task ids of a named suite; raises ValueError naming the suites that exist."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; known suites: {', '.join(sorted(SUITES))}")
    return SUITES[name]


def _build(
    task_id: str, render: bool, max_episode_steps: int | None, **kwargs: Any
) -> tuple[gym.Env, TaskSpec]:
    family = task_family(task_id)
    if family == "atari":
        env, make_kwargs = make_atari(task_id, render, max_episode_steps, **kwargs)
    elif family == "mujoco":
        env, make_kwargs = make_mujoco(task_id, render, max_episode_steps, **kwargs)
    elif family == "babyai":
        env, make_kwargs = make_babyai(task_id, render, max_episode_steps, **kwargs)
    else:
        env = gym.make(
            task_id,
            render_mode="rgb_array" if render else None,
            max_episode_steps=max_episode_steps,
            **kwargs,
        )
        make_kwargs = dict(kwargs)
    if max_episode_steps is not None:
        make_kwargs = {**make_kwargs, "max_episode_steps": max_episode_steps}
    return RecordEpisodeStatistics(env), TaskSpec(task_id, family, make_kwargs)


def make(
    task_id: str,
    seed: int | None = None,
    render: bool = False,
    max_episode_steps: int | None = None,
    **kwargs: Any,
) -> gym.Env:
    """Build the env of ``task_id`` under its family's protocol, wrapped in RecordEpisodeStatistics.

    Args:
        task_id: an ``ALE/<Game>-v5`` id, a MuJoCo v5 id, or any registered Gymnasium id.
        seed: when given, the env is reset once with it and its action space seeded with it, so
            the next ``reset()`` (without seed) continues a reproducible stream.
        render: make ``env.render()`` return ``rgb_array`` frames (MuJoCo: offscreen, headless).
        max_episode_steps: optional cap in steps (a truncation), for tests and quick looks.
        **kwargs: passed to the family's builder (overrides of the protocol are recorded).

    The returned env's ``task_spec`` attribute holds its :class:`TaskSpec`.
    """
    env, task = _build(task_id, render, max_episode_steps, **kwargs)
    env.task_spec = task
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


def make_vector(
    task_id: str,
    num_envs: int,
    render: bool = False,
    max_episode_steps: int | None = None,
    **kwargs: Any,
) -> tuple[SyncVectorEnv, TaskSpec]:
    """``num_envs`` copies of ``task_id`` in a SyncVectorEnv with autoreset DISABLED.

    With ``AutoresetMode.DISABLED`` a finished sub-env stays finished until the caller resets it
    with ``reset(seed=[...], options={"reset_mask": mask})``, so the caller chooses every episode's
    seed and never mistakes an autoreset step (NEXT_STEP mode's dummy transition) or a
    same-step reset observation for part of an episode. Every sub-env must be reset before it is
    stepped again. The envs are not reset here.
    """
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    task_family(task_id)  # an unknown id fails here, with suggestions, before any env is built

    def factory() -> gym.Env:
        return make(task_id, render=render, max_episode_steps=max_episode_steps, **kwargs)

    vec = SyncVectorEnv([factory] * num_envs, autoreset_mode=AutoresetMode.DISABLED)
    return vec, vec.envs[0].task_spec
