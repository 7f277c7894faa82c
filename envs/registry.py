"""The task registry: one ``make`` for Atari, MuJoCo and any other Gymnasium id, plus suites.

Families:

- ``atari``: ``ALE/<Game>-v5`` under the protocol of :mod:`envs.atari`;
- ``mujoco``: the 11 standard v5 tasks of :mod:`envs.mujoco`;
- ``babyai``: the ``BabyAI-*`` levels of :mod:`envs.babyai` (with the ``minigrid`` package), their
  grid declared as categories and their mission as Text;
- ``metaworld``: the 50 ``Meta-World/<task>-v3`` tasks of :mod:`envs.metaworld` (with the
  ``metaworld`` package);
- ``gymnasium``: any other registered Gymnasium id, built by ``gym.make`` with its defaults;
  Gymnasium's ``module:EnvId-v0`` form imports ``module`` first (which registers the id);
- ``custom``: an env built by a zero-argument factory of the caller (see :func:`make_vector`).

``max_episode_steps`` only ever shortens episodes: the limit is the smaller of the task's own
time limit and the cap (a task keeps its own limit when the cap is larger), and
:class:`TaskSpec` records both.

Every env gets ``RecordEpisodeStatistics`` as the first wrapper added on top of what ``gym.make``
returns, before anything that could change rewards or end episodes early (life-loss signals,
reward clipping), so ``info["episode"]["r"]`` is the true game score and ``["l"]`` the true
length. It sits above ``gym.make``'s own ``TimeLimit`` so capped episodes are recorded too.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv, VectorEnv
from gymnasium.wrappers import RecordEpisodeStatistics, TimeLimit

from envs.atari import FRAMESKIP, MAX_NUM_FRAMES_PER_EPISODE, atari_ids, is_atari_id, make_atari
from envs.babyai import babyai_ids, is_babyai_id, make_babyai
from envs.metaworld import EPISODE_STEPS, is_metaworld_id, make_metaworld, metaworld_ids
from envs.mujoco import is_mujoco_id, make_mujoco, mujoco_ids
from envs.suites import SUITES, suite, suites

__all__ = [
    "EnvFactory",
    "Family",
    "TaskSpec",
    "UnknownTaskError",
    "SUITES",
    "known_task_ids",
    "task_family",
    "suite",
    "suites",
    "make",
    "import_hint",
    "make_vector",
    "factory_name",
    "parse_make_kwargs",
]

Family = Literal["atari", "mujoco", "babyai", "metaworld", "gymnasium", "custom"]

# A zero-argument callable returning a fresh env (the caller's own environment).
EnvFactory = Callable[[], gym.Env]

class UnknownTaskError(ValueError):
    """A task id that no family builds; the message names the closest known ids."""


@dataclass(frozen=True)
class TaskSpec:
    """How a task id is built."""

    task_id: str  # the Gymnasium id as named, e.g. "ALE/Breakout-v5" or "mypkg.envs:Maze-v0"
    family: Family  # which builder makes it
    make_kwargs: dict[str, Any] = field(default_factory=dict)  # the kwargs that define the task
    time_limit: int | None = None  # the task's own episode limit in steps (None: none known)
    max_episode_steps: int | None = None  # the limit applied: min(time_limit, the cap asked for)

    @property
    def capped(self) -> bool:
        """True when a cap cut the task's own limit (its scores are not comparable with references)."""
        return self.max_episode_steps is not None and self.max_episode_steps != self.time_limit


def known_task_ids() -> list[str]:
    """Every id :func:`make` accepts: Atari v5, the MuJoCo v5 tasks, BabyAI, Meta-World, then all other
    registered ids."""
    first = atari_ids() + mujoco_ids() + babyai_ids() + metaworld_ids()
    seen = set(first)
    return first + sorted(k for k in gym.registry if k not in seen)


def _import_env_module(task_id: str) -> str:
    """For ``module:EnvId``, import ``module`` (it registers its ids) and return ``EnvId``."""
    if ":" not in task_id:
        return task_id
    module, _, env_id = task_id.partition(":")
    try:
        importlib.import_module(module)
    except Exception as exc:  # any failure inside the user's module
        raise UnknownTaskError(
            f"env id {task_id!r}: module {module!r} does not import ({type(exc).__name__}: {exc}{import_hint(module, exc)}); "
            f"the form module:EnvId imports the module, which must register EnvId with gymnasium"
        ) from None
    if env_id not in gym.registry:
        raise UnknownTaskError(f"env id {task_id!r}: module {module!r} imported but did not register {env_id!r}")
    return env_id


def import_hint(module: str, error: Exception) -> str:
    """"; it is in the current folder: ..." when `module` was not found but lies in the current folder,
    which console scripts (gato-eval, gato-collect) do not search; else ""."""
    top = module.split(".")[0]
    if isinstance(error, ModuleNotFoundError) and error.name == top and (Path(f"{top}.py").is_file() or Path(top).is_dir()):
        return f"; {top} is in the current folder, which the commands do not search: run them with PYTHONPATH=."
    return ""


def task_family(task_id: str) -> Family:
    """The family that builds ``task_id``; raises :class:`UnknownTaskError` if none does."""
    task_id = _import_env_module(task_id)
    if is_atari_id(task_id):
        return "atari"
    if is_mujoco_id(task_id):
        return "mujoco"
    if is_babyai_id(task_id):
        return "babyai"
    if is_metaworld_id(task_id):
        return "metaworld"
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
        f"{', '.join(mujoco_ids())}, BabyAI-* (pip install 'gato-agent[babyai]'), Meta-World/<task>-v3 "
        f"(pip install 'gato-agent[metaworld]'), any other registered "
        f"Gymnasium id, or module:EnvId (imports module first)."
    )


def parse_make_kwargs(text: str | None, flag: str = "--env-kwargs") -> dict[str, Any]:
    """The make kwargs of a JSON object (a CLI's ``flag``); ValueError saying what was wrong otherwise."""
    if text is None:
        return {}
    try:
        kwargs = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{flag} {text!r} is not JSON ({exc}); give an object such as '{{\"reset_noise_scale\": 0.2}}'") from None
    if not isinstance(kwargs, dict):
        raise ValueError(f"{flag} {text!r} is not a JSON object of keyword arguments")
    reserved = {"max_episode_steps": "--max-episode-steps", "render_mode": "--video (gato-eval's videos)"}
    taken = [key for key in kwargs if key in reserved]
    if taken:
        raise ValueError(f"{flag}: {', '.join(taken)} is set by {', '.join(reserved[k] for k in taken)}, not by {flag}")
    return kwargs


def _own_limit(env_id: str, family: Family, kwargs: dict[str, Any]) -> int | None:
    """The task's own time limit in steps (Atari: its frame cap over the frameskip)."""
    if family == "atari":
        frameskip = kwargs.get("frameskip", FRAMESKIP)
        frames = kwargs.get("max_num_frames_per_episode", MAX_NUM_FRAMES_PER_EPISODE)
        return frames // frameskip if isinstance(frameskip, int) and frames else None
    if family == "metaworld":
        return EPISODE_STEPS
    return gym.spec(env_id).max_episode_steps


def _cap(own: int | None, cap: int | None) -> int | None:
    """The limit applied: the smaller of the task's own and the cap."""
    if cap is not None and cap < 1:
        raise ValueError(f"max_episode_steps must be >= 1 or None, got {cap}")
    return own if cap is None else cap if own is None else min(own, cap)


def _build(
    task_id: str, render: bool, max_episode_steps: int | None, **kwargs: Any
) -> tuple[gym.Env, TaskSpec]:
    family = task_family(task_id)
    env_id = _import_env_module(task_id)
    own = _own_limit(env_id, family, kwargs)
    limit = _cap(own, max_episode_steps)
    cap = limit if limit != own else None  # None: gym.make applies the task's own
    if family == "atari":
        env, make_kwargs = make_atari(env_id, render, cap, **kwargs)
    elif family == "mujoco":
        env, make_kwargs = make_mujoco(env_id, render, cap, **kwargs)
    elif family == "babyai":
        env, make_kwargs = make_babyai(env_id, render, cap, **kwargs)
    elif family == "metaworld":
        env, make_kwargs = make_metaworld(env_id, render, cap, **kwargs)
    else:
        render_kwargs = {"render_mode": "rgb_array"} if render else {}  # an env without render_mode gets none
        env = gym.make(env_id, max_episode_steps=cap, **render_kwargs, **kwargs)
        make_kwargs = dict(kwargs)
    if cap is not None:
        make_kwargs = {**make_kwargs, "max_episode_steps": cap}
    return RecordEpisodeStatistics(env), TaskSpec(task_id, family, make_kwargs, own, limit)


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
        max_episode_steps: optional cap in steps (a truncation), for tests and quick looks; it
            never lengthens an episode past the task's own limit.
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
    task: str | EnvFactory,
    num_envs: int,
    render: bool = False,
    max_episode_steps: int | None = None,
    vector: Literal["sync", "async"] = "sync",
    **kwargs: Any,
) -> tuple[VectorEnv, TaskSpec]:
    """``num_envs`` copies of a task in a SyncVectorEnv (``vector="async"``: an AsyncVectorEnv, each
    sub-env in its own process) with autoreset DISABLED.

    ``task`` is an id accepted by :func:`make` or an :data:`EnvFactory` (family ``custom``:
    its env is capped like any other and wrapped in RecordEpisodeStatistics; ``kwargs`` are
    refused then, as the factory alone builds it).

    With ``AutoresetMode.DISABLED`` a finished sub-env stays finished until the caller resets it
    with ``reset(seed=[...], options={"reset_mask": mask})``, so the caller chooses every episode's
    seed and never mistakes an autoreset step (NEXT_STEP mode's dummy transition) or a
    same-step reset observation for part of an episode. Every sub-env must be reset before it is
    stepped again. The envs are not reset here.
    """
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    if isinstance(task, str):
        task_family(task)  # an unknown id fails here, with suggestions, before any env is built

        def factory() -> gym.Env:
            return make(task, render=render, max_episode_steps=max_episode_steps, **kwargs)
    else:
        if kwargs:
            raise ValueError(f"make kwargs {sorted(kwargs)} given with an env factory; build the env with them in the factory")
        factory = _custom_factory(task, max_episode_steps)
    if vector == "async":  # spawned, not forked: a fork of a process holding GL contexts or threads can hang
        vec = AsyncVectorEnv([factory] * num_envs, autoreset_mode=AutoresetMode.DISABLED, context="spawn")
        return vec, vec.get_attr("task_spec")[0]
    if vector != "sync":
        raise ValueError(f"vector must be 'sync' or 'async', got {vector!r}")
    vec = SyncVectorEnv([factory] * num_envs, autoreset_mode=AutoresetMode.DISABLED)
    return vec, vec.envs[0].task_spec


def factory_name(factory: EnvFactory) -> str:
    """How results name a factory's task: ``module.qualname`` of the callable."""
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', type(factory).__name__)}"


def _custom_factory(factory: EnvFactory, max_episode_steps: int | None) -> EnvFactory:
    """``factory`` with the cap and RecordEpisodeStatistics added on top of each env it builds."""

    def build() -> gym.Env:
        env = factory()
        if not isinstance(env, gym.Env):
            raise TypeError(f"the env factory {factory_name(factory)} returned {type(env).__name__}, not a gymnasium.Env")
        own = env.spec.max_episode_steps if env.spec is not None else None
        limit = _cap(own, max_episode_steps)
        if limit is not None and limit != own:
            env = TimeLimit(env, limit)
        env = RecordEpisodeStatistics(env)
        name = env.spec.id if env.spec is not None else factory_name(factory)
        env.task_spec = TaskSpec(name, "custom", {}, own, limit)
        return env

    return build
