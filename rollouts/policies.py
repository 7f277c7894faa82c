"""Policies for gato-eval and gato-collect: the one Policy protocol, its adapters, the policy spec.

A policy acts for a batch of ``num_envs`` sub-envs in lock-step: ``act(obs)`` takes a batch of
observations (leading dim ``num_envs``) and returns a batch of actions. Two optional methods:

- ``reset(env_ids)``: called with None before the first step, then with the indices of the
  sub-envs that start a new episode (GatoAgent clears their history then);
- ``bind_envs(envs)``: called once with the sub-envs, in order, before the first reset, for
  policies that look inside the env they play (the demonstrators read Atari RAM or MuJoCo state).

Both CLIs name a policy with one spec (:func:`parse_policy`):

``gato``            the checkpoint embedded in the package
``gato:PATH``       a checkpoint folder or a Hub repo (``hf://org/name``, or ``org/name`` where
                    no such folder exists); ``checkpoint:PATH`` is the same
``expert``          the task's demonstrator (:mod:`envs.demonstrators`)
``random``          uniformly random actions
``module:callable`` a function ``obs -> action`` of one observation, or an object with
                    ``act(obs)`` and an optional ``reset()`` (one episode's state)
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array, iterate

from envs.registry import import_hint

__all__ = [
    "POLICY_FORMS",
    "ExpertPolicy",
    "PerObservation",
    "Policy",
    "PolicyError",
    "PolicyFactory",
    "PolicySpec",
    "RandomPolicy",
    "parse_policy",
    "policy_factory",
]

POLICY_FORMS = "gato, gato:PATH (or checkpoint:PATH), expert, random, module:callable"


@runtime_checkable
class Policy(Protocol):
    """Anything that maps a batch of observations to a batch of actions (see the module doc)."""

    def act(self, obs: Any) -> Any: ...


# Builds the policy for one task: (task id, single observation space, single action space, num_envs).
PolicyFactory = Callable[[str, gym.Space, gym.Space, int], Policy]


class PolicyError(ValueError):
    """A policy spec that cannot be used; the message says what was wrong and what is accepted."""


class RandomPolicy:
    """Uniformly random actions.

    Bound to the sub-envs (:meth:`bind_envs`), it samples each sub-env's own action space, which
    the harnesses seed with the episode's seed, so episode k's actions depend on nothing else;
    unbound, sub-env ``i`` samples a copy of ``action_space`` seeded ``seed + i``, or as
    :meth:`seed_env` reseeds it (what the harnesses do per episode when the envs step in other
    processes, so the actions are those of a bound policy).
    """

    needs_envs = False  # acts without looking inside its envs (bind_envs only borrows their spaces)

    def __init__(self, action_space: gym.Space, num_envs: int = 1, seed: int | None = None) -> None:
        """Sample from ``action_space`` (a single env's space) for ``num_envs`` sub-envs."""
        self.action_space = action_space
        self.num_envs = num_envs
        self._spaces = [copy.deepcopy(action_space) for _ in range(num_envs)]
        for i, space in enumerate(self._spaces):
            space.seed(None if seed is None else seed + i)
        self._batch = batch_space(action_space, num_envs)

    def bind_envs(self, envs: Sequence[gym.Env]) -> None:
        """Sample from the action spaces of ``envs`` from now on."""
        self._spaces = [env.action_space for env in envs]

    def seed_env(self, i: int, seed: int) -> None:
        """Seed the actions of sub-env ``i`` from now on (its next episode's seed)."""
        self._spaces[i].seed(seed)

    def act(self, obs: Any) -> Any:
        """A batch of ``num_envs`` random actions (``obs`` is ignored)."""
        return concatenate(self.action_space, [s.sample() for s in self._spaces], self._batch.sample())

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        """Nothing to forget: random actions carry no episode state."""

    @staticmethod
    def factory(seed: int | None = None) -> PolicyFactory:
        """A :data:`PolicyFactory` building a RandomPolicy per task, seeded with ``seed``."""
        return lambda task_id, obs_space, act_space, num_envs: RandomPolicy(act_space, num_envs, seed)


class PerObservation:
    """A policy of one observation (``act(obs) -> action``, optional ``reset()``) acting on a batch."""

    def __init__(self, act: Callable[[Any], Any], observation_space: gym.Space, action_space: gym.Space,
                 num_envs: int = 1, reset: Callable[[], Any] | None = None, name: str = "policy") -> None:
        """Apply ``act`` to each sub-env's observation; ``reset`` (episode state) needs ``num_envs == 1``."""
        if reset is not None and num_envs > 1:
            raise PolicyError(f"{name} keeps one episode's state (it has reset()), so it can act for one env "
                              f"only, not {num_envs}: run it with num_envs=1")
        self._act, self._reset, self.num_envs = act, reset, num_envs
        self.observation_space, self.action_space = observation_space, action_space
        self._out = create_empty_array(action_space, num_envs)

    def act(self, obs: Any) -> Any:
        """The batch of actions of the batch ``obs``; ValueError for an action of another shape than
        the action space's (what could not be batched)."""
        actions = [self._act(o) for o in iterate(batch_space(self.observation_space, self.num_envs), obs)]
        shape = self.action_space.shape
        for a in actions:
            if shape is not None and np.shape(a) != shape:
                raise ValueError(f"action of shape {np.shape(a)} for the action space {self.action_space} (shape {shape})")
        return concatenate(self.action_space, actions, self._out)

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        """Call the wrapped ``reset()`` (if any) when its env starts an episode."""
        if self._reset is not None:
            self._reset()


class ExpertPolicy:
    """The task's demonstrator in each sub-env; it must be bound to the sub-envs it plays."""

    def __init__(self, task_id: str, observation_space: gym.Space, action_space: gym.Space, num_envs: int = 1) -> None:
        """One demonstrator per sub-env; ValueError naming the supported tasks if ``task_id`` has none."""
        from envs.demonstrators import get_demonstrator

        self.demonstrators = [get_demonstrator(task_id) for _ in range(num_envs)]
        self.name = f"expert:{type(self.demonstrators[0]).__name__}"
        self.num_envs, self.envs = num_envs, None
        # whether a demonstrator looks inside its env (Atari RAM, MuJoCo state, BabyAI's grid)
        self.needs_envs = any(getattr(d, "needs_env", True) for d in self.demonstrators)
        self._observations = batch_space(observation_space, num_envs)
        self.action_space, self._out = action_space, create_empty_array(action_space, num_envs)

    def bind_envs(self, envs: Sequence[gym.Env]) -> None:
        """Play in ``envs`` (the sub-envs, in order), which the demonstrators look inside."""
        if len(envs) != self.num_envs:
            raise ValueError(f"{len(envs)} envs given to an expert acting for num_envs={self.num_envs}")
        self.envs = list(envs)

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        """Reset the demonstrators of the sub-envs that start an episode."""
        for i in range(self.num_envs) if env_ids is None else env_ids:
            self.demonstrators[i].reset(self._env(i))

    def act(self, obs: Any) -> Any:
        """Each demonstrator's action for its sub-env's observation."""
        actions = [d.act(o, self._env(i)) for i, (d, o) in enumerate(zip(self.demonstrators, iterate(self._observations, obs)))]
        return concatenate(self.action_space, actions, self._out)

    def _env(self, i: int) -> gym.Env | None:
        if self.envs is None and not self.needs_envs:
            return None
        if self.envs is None:
            raise RuntimeError("the expert policy needs the envs it plays: call bind_envs(envs) first (the harnesses do)")
        return self.envs[i]


@dataclass(frozen=True)
class PolicySpec:
    """A parsed policy spec (see the module doc)."""

    kind: Literal["gato", "expert", "random", "module"]  # which policy
    target: str | None = None  # gato: the checkpoint folder (None: embedded); module: "module:attr"

    def __str__(self) -> str:
        return self.kind if self.target is None else f"{self.kind}:{self.target}" if self.kind == "gato" else self.target


def parse_policy(spec: str, checkpoint: str | Path | None = None, flag: str = "--policy") -> PolicySpec:
    """Parse ``spec``; ``checkpoint`` is the old spelling ``--checkpoint PATH`` of ``gato:PATH``."""
    kind, sep, rest = spec.partition(":")
    if spec in ("expert", "random"):
        parsed = PolicySpec(spec)  # type: ignore[arg-type]
    elif kind in ("gato", "checkpoint") and (sep or kind == "gato"):
        if sep and not rest:
            raise PolicyError(f"{flag} {spec}: no checkpoint folder after '{kind}:'; accepted: {POLICY_FORMS}")
        parsed = PolicySpec("gato", rest or None)
    elif sep and kind and rest and all(p.isidentifier() for p in kind.split(".") + rest.split(".")):
        parsed = PolicySpec("module", spec)
    else:
        raise PolicyError(f"unknown {flag} {spec!r}; accepted: {POLICY_FORMS}")
    if checkpoint is not None:
        if parsed.kind != "gato" or parsed.target is not None:
            raise PolicyError(f"--checkpoint is only used with {flag} gato (or write {flag} gato:PATH)")
        parsed = PolicySpec("gato", str(checkpoint))
    return parsed


def policy_factory(spec: PolicySpec, seed: int = 0, temperature: float = 0.0, flag: str = "--policy",
                   device: str | None = None, dtype: str | None = None, task_ids: Sequence[str] = (),
                   as_task: str | None = None, task_spaces: dict[str, tuple[gym.Space, gym.Space]] | None = None,
                   prompt: bool = True) -> PolicyFactory:
    """The per-task :data:`PolicyFactory` of ``spec``; a Gato acts on ``device`` in ``dtype``
    (:mod:`gato_agent.device`; None: the CPU, float32).

    What can be checked before any env is built is checked here (the checkpoint loads, the module
    imports, a checkpoint was trained on each of ``task_ids``) and raises :class:`PolicyError`; what
    depends on the task (its spaces, whether it has a demonstrator) fails when the factory is called,
    as an error of that task (or here, for the tasks whose spaces ``task_spaces`` gives: task id ->
    (observation, action space)). A checkpoint plays only the tasks it was trained on, unless ``as_task``
    names one of its tasks to play every task as (its spaces must equal the env's: ``--as-task``);
    other policies take any task and ignore it. ``prompt``: a Gato acts after its checkpoint's prompt
    for the task (a demonstration's end [2.4]); False: on the episode alone.
    """
    if spec.kind == "gato":
        return _gato_factory(spec, seed, temperature, flag, device, dtype, task_ids, as_task, task_spaces or {}, prompt)
    if spec.kind == "random":
        return RandomPolicy.factory(seed)
    if spec.kind == "expert":
        return lambda task_id, obs_space, act_space, n: ExpertPolicy(task_id, obs_space, act_space, n)
    if spec.kind == "module":
        obj = _resolve(spec.target or "", flag)
        act = obj.act if callable(getattr(obj, "act", None)) else obj
        reset = getattr(obj, "reset", None) if act is not obj else None
        return lambda task_id, obs_space, act_space, n: PerObservation(
            act, obs_space, act_space, n, reset if callable(reset) else None, f"{flag} {spec}")
    raise PolicyError(f"unknown policy kind {spec.kind!r}; accepted: {POLICY_FORMS}")


def _resolve(target: str, flag: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except Exception as e:  # any import failure is the user's module
        raise PolicyError(f"{flag} {target}: module {module_name!r} does not import ({type(e).__name__}: {e}"
                          f"{import_hint(module_name, e)})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise PolicyError(f"{flag} {target}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj) and not callable(getattr(obj, "act", None)):
        raise PolicyError(f"{flag} {target}: {attr!r} is neither callable nor has act(obs)")
    return obj


def _gato_factory(spec: PolicySpec, seed: int, temperature: float, flag: str, device: str | None,
                  dtype: str | None, task_ids: Sequence[str], as_task: str | None,
                  task_spaces: dict[str, tuple[gym.Space, gym.Space]], prompt: bool = True) -> PolicyFactory:
    from gato_agent import GatoAgent
    from gato_agent.checkpoint import load_checkpoint
    from gato_agent.hub_download import hub_repo_id
    from gato_agent.space_checks import list_names

    if spec.target is not None and hub_repo_id(spec.target) is None and not Path(spec.target).is_dir():
        raise PolicyError(f"{flag} {spec}: no checkpoint folder at {spec.target!r} (expected one saved by GatoAgent.save_pretrained)")
    try:  # loaded once, before any task runs
        checkpoint = load_checkpoint(spec.target)
    except FileNotFoundError as exc:
        raise PolicyError(f"{flag} {spec}: {exc}; or use {flag} random") from None
    except (ValueError, ImportError) as exc:  # a damaged checkpoint; a Hub id without gato-agent[hub]
        raise PolicyError(f"{flag} {spec}: {exc}") from None

    # the task ids for an error line: the first few, and where all are listed
    known = list_names(checkpoint.tasks, "gato-eval --suite default --list prints them" if spec.target is None
                       else f"all in the config.json of {spec.target}")
    if as_task is not None and as_task not in checkpoint.tasks:
        raise PolicyError(f"--as-task {as_task}: {flag} {spec} has no such task; its tasks: {known or 'none (it takes any env)'}")
    # a model-only checkpoint, or save_pretrained's unnamed task ("default"), plays any env of its spaces
    by_spaces = not checkpoint.tasks or "default" in checkpoint.tasks
    unknown = [t for t in task_ids if _stored_name(t, checkpoint.tasks) not in checkpoint.tasks]
    if not by_spaces and as_task is None and unknown:
        raise PolicyError(_not_trained_on(spec, flag, unknown, known))

    def chosen_task(task_id: str, observation_space: gym.Space, action_space: gym.Space) -> Any:
        stored = _stored_name(task_id, checkpoint.tasks)
        name = as_task or (stored if stored in checkpoint.tasks else None)
        if not by_spaces and name is None:
            raise ValueError(_not_trained_on(spec, flag, [task_id], known))
        return checkpoint.select(name, observation_space, action_space)

    for task_id, (observation_space, action_space) in task_spaces.items():
        try:
            chosen_task(task_id, observation_space, action_space)
        except ValueError as exc:
            raise PolicyError(f"{flag} {spec} cannot play {task_id}: {exc}") from None

    def factory(task_id: str, observation_space: gym.Space, action_space: gym.Space, num_envs: int) -> Policy:
        # A task is played as the checkpoint's task of the same env id (tasks may share spaces, e.g.
        # Atari games with the same action count, or HalfCheetah and Walker2d), or as --as-task, or
        # by its spaces (by_spaces). Spaces that differ are a ValueError.
        chosen = chosen_task(task_id, observation_space, action_space)
        return GatoAgent(checkpoint.model, chosen.observation_space, chosen.action_space, num_envs=num_envs,
                         temperature=temperature, seed=seed, prompt=chosen.prompt if prompt else None,
                         context_steps=chosen.context_steps,
                         text_tokenizer=checkpoint.text_tokenizer, device=device, dtype=dtype)

    return factory


def _stored_name(task_id: str, tasks: dict[str, Any]) -> str:
    """The name a checkpoint stores a task under: its env id, with or without the `module:` that registers it."""
    return task_id if task_id in tasks else task_id.rpartition(":")[2]


def _not_trained_on(spec: PolicySpec, flag: str, unknown: Sequence[str], known: str) -> str:
    return (f"{flag} {spec} was not trained on {', '.join(unknown)} (its tasks: {known}); to play a task as one of "
            "its own with equal spaces, name that one with --as-task TASK")
