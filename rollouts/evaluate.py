"""Batched evaluation of a policy on Gymnasium tasks: returns, normalized scores, aggregates.

The protocol (stable-baselines3's ``evaluate_policy``, made deterministic):

- ``episodes`` episodes per task, split over ``num_envs`` sub-envs *before* the rollout starts:
  episode ``k`` runs on sub-env ``k % num_envs``. Waiting for a fixed set of episodes (rather
  than stopping at the first ``episodes`` that end) keeps short episodes from being
  over-represented.
- Episode ``k`` of every task is reset with seed ``seed + k``; the seeds are recorded.
- The vector env runs with autoreset DISABLED: an episode ends only on a real ``terminated`` or
  ``truncated`` from the env (the task's time limit and ``max_episode_steps`` are truncations),
  and its return and length come from ``RecordEpisodeStatistics`` (see :mod:`envs.registry`).
  A sub-env whose episodes are all done keeps stepping (the batch has a fixed size) but nothing
  it does is counted.
- ``max_episode_steps`` caps the task's own time limit (never lengthens it); each task records
  both, and ``capped`` when the cap cut its episodes (its normalized score is then not comparable).
- Episode k's reset seed is ``seed + k`` and the sub-env's action space is seeded with it too.
- Aggregates across tasks (:mod:`rollouts.aggregates`): rliable's IQM, mean, median and optimality
  gap over the normalized scores of every episode of every task, with stratified-bootstrap 95% CIs;
  and the same per task family (:mod:`rollouts.families`), Atari human-normalized too.
- Success: a task whose env reports ``info["success"]`` or ``info["is_success"]`` (Meta-World,
  Gymnasium-Robotics) gets a success flag per episode, true when the flag was set at ANY step of the
  episode (the Meta-World benchmarks' and JAT's convention: the episode runs on after success), and
  a ``success_rate``. A BabyAI level, which reports no flag, counts success as a positive return
  (minigrid rewards only success).
- ``vector="async"`` steps each sub-env in its own process (Gymnasium's AsyncVectorEnv): the same
  episodes, seeds and returns as ``"sync"``, for policies that do not look inside their envs.

Tasks are ids of :func:`envs.make` or env factories (zero-argument callables returning an env);
policies are :class:`~rollouts.policies.Policy` objects, :data:`~rollouts.policies.PolicyFactory`
callables (four arguments), or plain ``obs -> action`` functions of one observation.

A task that fails to build or crashes mid-rollout is recorded with its error and the next task
runs (a policy that raises is named with the episodes, seeds and steps it was acting in, then the
error's first line; the episodes finished before it are kept); Ctrl-C stops the evaluation and returns what was gathered, with ``interrupted`` set.
"""

from __future__ import annotations

import inspect
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import gymnasium as gym
import numpy as np
from tqdm.auto import tqdm

import envs
from rollouts.actions import ActionChecker
from rollouts.families import aggregate_by_family
from rollouts.policies import PerObservation, Policy, PolicyFactory
from rollouts.results import EvalResults, TaskResult, aggregate, score_matrix, summarize
from rollouts.subenvs import SubEnvs, SuccessTracker
from rollouts.video import EpisodeVideo, video_name

__all__ = ["TaskResult", "EvalResults", "PolicyFailed", "evaluate", "aggregate", "score_matrix"]

# What evaluate takes as a task: an id of envs.make, or a zero-argument callable returning an env.
Task = str | envs.EnvFactory


class PolicyFailed(RuntimeError):
    """The policy raised while acting, or its action is outside the action space; the message says
    in which episodes, seeds and steps."""


class EnvFailed(RuntimeError):
    """The env returned what cannot be scored (a NaN or infinite reward); the message says where."""


def _run_task(
    task: Task,
    policy: PolicyFactory,
    result: TaskResult,
    episodes: int,
    seed: int,
    num_envs: int,
    max_episode_steps: int | None,
    env_kwargs: dict[str, Any],
    video_dir: Path | None,
    video_episodes: int,
    progress: bool,
    vector: str = "sync",
    device: Any = None,
) -> None:
    """Roll out ``episodes`` episodes of ``task`` and record them into ``result``."""
    n = min(num_envs, episodes)
    vec, spec = envs.make_vector(task, n, render=video_dir is not None, max_episode_steps=max_episode_steps,
                                 vector=vector, **env_kwargs)
    sub = SubEnvs(vec)
    success = SuccessTracker(n)
    result.env_id, result.family, result.make_kwargs, result.num_envs = spec.task_id, spec.family, spec.make_kwargs, n
    result.time_limit, result.max_episode_steps, result.capped = spec.time_limit, spec.max_episode_steps, spec.capped
    order: list[int] = []  # episode index of each finished episode, to sort them at the end
    videos: dict[int, EpisodeVideo] = {}  # sub-env index -> video of its running episode
    bar = tqdm(total=episodes, desc=result.env_id, unit="ep", disable=not progress, leave=True)
    try:
        agent = policy(result.env_id, vec.single_observation_space, vec.single_action_space, n)
        if getattr(agent, "num_envs", n) != n:
            raise ValueError(
                f"the policy acts for num_envs={agent.num_envs} but this task runs {n} envs "
                f"(min(num_envs={num_envs}, episodes={episodes})); pass a factory to size it per task"
            )
        _check_device(agent, device)
        if vector == "async" and hasattr(agent, "bind_envs") and getattr(agent, "needs_envs", True):
            raise ValueError(f"vector='async' steps each env in its own process, but the policy "
                             f"{type(agent).__name__} looks inside its envs (bind_envs): use vector='sync'")
        if hasattr(agent, "bind_envs") and vector == "sync":
            agent.bind_envs(vec.envs)
        check = ActionChecker(vec.single_action_space, PolicyFailed)
        queues = [list(range(i, episodes, n)) for i in range(n)]  # fixed up front
        running: list[int | None] = [q.pop(0) for q in queues]  # episode index per sub-env
        fps = vec.metadata.get("render_fps") or 30

        def start_videos(env_ids: Sequence[int]) -> None:
            for i in env_ids:
                k = running[i]
                if video_dir is None or k is None or k >= video_episodes or result.video_error:
                    continue
                try:  # a task that cannot render (e.g. a missing pygame) is still evaluated
                    frame = sub.render(i)
                except Exception as exc:
                    result.video_error = f"{type(exc).__name__}: {exc}"
                    continue
                videos[i] = EpisodeVideo(video_dir / video_name(result.env_id, k), fps)
                videos[i].append(frame)

        for i, k in enumerate(running):
            sub.seed_actions(agent, i, seed + k)
        obs, _ = vec.reset(seed=[seed + k for k in running])
        if hasattr(agent, "reset"):
            agent.reset(None)
        start_videos(range(n))
        start = time.perf_counter()
        steps = np.zeros(n, dtype=np.int64)  # steps of each sub-env's running episode
        while any(k is not None for k in running):
            try:
                actions = agent.act(obs)
            except Exception as exc:  # the policy's own error, told with where it happened
                raise PolicyFailed(_acting_in(running, steps, seed, exc)) from exc
            for i, k in enumerate(running):  # as gato-collect checks them: a bad action is the task's error
                if k is not None:
                    check(actions[i], lambda: f"the policy's action in episode {k} (seed {seed + k}) at step {int(steps[i])}")
            obs, rewards, terminated, truncated, info = vec.step(actions)
            for i, k in enumerate(running):
                if k is not None and not np.isfinite(rewards[i]):
                    raise EnvFailed(f"{result.env_id} returned the reward {rewards[i]} in episode {k} (seed {seed + k}) "
                                    f"at step {int(steps[i])}; rewards must be finite numbers")
            steps += 1
            success.update(info)
            for i, video in videos.items():
                video.append(sub.render(i))
            done = np.logical_or(terminated, truncated)
            if not done.any():
                continue
            for i in np.flatnonzero(done):
                k = running[i]
                if k is None:  # an idle sub-env whose episodes are all counted
                    continue
                if not info.get("_episode", np.zeros(n, bool))[i]:
                    raise RuntimeError(f"{result.env_id}: episode ended without episode statistics")
                order.append(k)
                result.seeds.append(seed + k)
                result.returns.append(float(info["episode"]["r"][i]))
                result.lengths.append(int(info["episode"]["l"][i]))
                success.end_episode(i)
                if i in videos:
                    result.videos.append(str(videos.pop(i).close()))
                running[i] = queues[i].pop(0) if queues[i] else None
                bar.update(1)
                bar.set_postfix(mean_return=f"{np.mean(result.returns):.1f}")
            result.wall_s = time.perf_counter() - start
            seeds = [seed + running[i] if d and running[i] is not None else None
                     for i, d in enumerate(done)]
            for i, episode_seed in enumerate(seeds):
                if episode_seed is not None:
                    sub.seed_actions(agent, i, episode_seed)
            success.clear(done)
            steps[done] = 0
            obs, _ = vec.reset(seed=seeds, options={"reset_mask": done})
            if hasattr(agent, "reset"):
                agent.reset([int(i) for i in np.flatnonzero(done)])
            start_videos([int(i) for i in np.flatnonzero(done)])
    finally:
        for video in videos.values():  # an interrupted or crashed episode keeps its partial video
            result.videos.append(str(video.close()))
        bar.close()
        vec.close()
        # Episodes end in whatever order their lengths dictate; report them by episode index.
        ranked = sorted(range(len(order)), key=order.__getitem__)
        result.seeds = [result.seeds[j] for j in ranked]
        result.returns = [result.returns[j] for j in ranked]
        result.lengths = [result.lengths[j] for j in ranked]
        if any(flag is not None for flag in success.flags):
            result.successes = [bool(success.flags[j]) for j in ranked]
            result.success_rule = success.rule
        summarize(result)


def _check_device(agent: Any, device: Any) -> None:
    """A policy that acts on a torch device must act on ``device`` when one is asked for."""
    own = getattr(agent, "device", None)
    if device is None or own is None:
        return
    own, device = str(own), str(device)
    if own != device and own.partition(":")[0] != device:  # "cuda" is whichever CUDA device is current
        raise ValueError(f"the policy acts on {own}, not on device {device}: build it with device={str(device)!r}")


def _acting_in(running: Sequence[int | None], steps: np.ndarray, seed: int, error: Exception) -> str:
    """"the policy raised in episode 3 (seed 3) at step 17: ValueError: ..." (every running episode
    of the batch it was acting for)."""
    where = [f"episode {k} (seed {seed + k}) at step {int(steps[i])}" for i, k in enumerate(running) if k is not None]
    lines = str(error).strip().splitlines()
    return f"the policy raised in {' / '.join(where)}: {type(error).__name__}" + (f": {lines[0]}" if lines else "")


def _as_factory(policy: Policy | PolicyFactory | Callable[[Any], Any]) -> PolicyFactory:
    """A PolicyFactory for any accepted policy; TypeError up front for anything else."""
    accepted = ("an object with act(obs) (and optional reset(env_ids)), a factory "
                "(task_id, observation_space, action_space, num_envs) -> policy, or a function obs -> action")
    if isinstance(policy, Policy):
        return lambda task_id, obs_space, act_space, n: policy
    if not callable(policy):
        raise TypeError(f"policy {policy!r} is not usable; accepted: {accepted}")
    try:
        params = [p for p in inspect.signature(policy).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):  # no signature (some builtins): take it as obs -> action
        params = [None]
    if len(params) == 4:
        return policy
    if len(params) == 1:
        return lambda task_id, obs_space, act_space, n: PerObservation(policy, obs_space, act_space, n)
    raise TypeError(f"policy {policy!r} takes {len(params)} required arguments; accepted: {accepted}")


def _task_name(task: Any) -> str:
    """The id results use for ``task``; TypeError up front for what is not a task."""
    if isinstance(task, str):
        return task
    if isinstance(task, gym.Env):
        raise TypeError(f"got an env instance ({task}); evaluate builds one env per sub-env and per run: "
                        f"pass a task id or an env factory such as lambda: gym.make(...)")
    if callable(task):
        return envs.factory_name(task)
    raise TypeError(f"task {task!r} is neither a task id nor an env factory (a zero-argument callable returning an env)")


def evaluate(
    policy: Policy | PolicyFactory | Callable[[Any], Any] | str,
    tasks: Task | Sequence[Task],
    episodes: int = 10,
    seed: int = 0,
    num_envs: int = 1,
    *,
    max_episode_steps: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    video_dir: str | Path | None = None,
    video_episodes: int = 1,
    progress: bool = True,
    bootstrap_resamples: int = 2000,
    on_task_end: Callable[[EvalResults], None] | None = None,
    vector: Literal["sync", "async"] = "sync",
    device: str | None = None,
) -> EvalResults:
    """Evaluate ``policy`` on each of ``tasks``; see the module docstring for the protocol.

    Args:
        policy: an object with ``act(obs)`` (optional ``reset(env_ids)``, ``bind_envs(envs)``)
            for a batch of ``min(num_envs, episodes)`` envs, used on every task; a
            :data:`~rollouts.policies.PolicyFactory` called per task with the task id, its
            single-env spaces and the batch size (needed when tasks have different spaces,
            e.g. a GatoAgent per task); a plain function of one observation returning one action;
            or a policy spec string of gato-eval's --policy (``"gato:PATH"``, ``"random"``, ...).
        tasks: one task or a sequence of them: ids accepted by :func:`envs.make` (including
            ``module:EnvId``), or env factories (zero-argument callables returning an env).
        episodes: episodes per task (>= 1).
        seed: episode ``k`` of each task is reset with ``seed + k``; the bootstrap uses ``seed``.
        num_envs: sub-envs per task (>= 1); at most ``episodes`` are used.
        max_episode_steps: optional cap in steps per episode; it never lengthens the task's own limit.
        env_kwargs: keyword arguments for :func:`envs.make` of every task id (e.g. reset_noise_scale).
        video_dir: where to write an mp4 per recorded episode; None records none.
        video_episodes: episodes ``0 .. video_episodes - 1`` of each task are recorded.
        progress: show a tqdm bar per task (episodes done, running mean return).
        bootstrap_resamples: draws for the aggregates' confidence intervals.
        on_task_end: called after each task with the results so far (later tasks "not_run"),
            e.g. to save them, so a run killed outright still leaves its finished tasks behind.
        vector: ``"sync"`` steps the sub-envs in this process; ``"async"`` each in its own process
            (same returns; refused for a policy that looks inside its envs, e.g. most experts).
        device: where a Gato policy acts ("cpu", "cuda", "cuda:N", "mps"): a policy spec string
            (``"gato"``, ``"gato:PATH"``) is built there; a policy built elsewhere is an error of its
            task. A device this machine lacks is a ValueError naming it, before any task runs.

    Returns:
        :class:`EvalResults` (``.to_dict()`` gives plain JSON data).
    """
    for name, value in (("episodes", episodes), ("num_envs", num_envs), ("max_episode_steps", max_episode_steps)):
        if value is not None or name != "max_episode_steps":  # whole numbers: 2.0 or '3' would fail inside a task
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be >= 1{' or None' if name == 'max_episode_steps' else ''}, an int; got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer from 0 to 2**32 - 1 (numpy's RandomState bootstrap), got {seed!r}")
    if env_kwargs is not None and not isinstance(env_kwargs, dict):
        raise TypeError(f"env_kwargs must be a dict of make keyword arguments, got {env_kwargs!r}")
    if vector not in ("sync", "async"):
        raise ValueError(f"vector must be 'sync' or 'async', got {vector!r}")
    if device is not None:
        from gato_agent.device import resolve_device

        device = str(resolve_device(device))
    if isinstance(policy, str):  # a policy spec: "gato", "gato:PATH", "expert", "random", "module:callable"
        from rollouts.policies import parse_policy, policy_factory

        policy = policy_factory(parse_policy(policy, flag="policy"), seed, device=device)
    task_list = [tasks] if isinstance(tasks, str) or callable(tasks) or isinstance(tasks, gym.Env) else list(tasks)
    if not task_list:
        raise ValueError("no tasks given")
    names = [_task_name(t) for t in task_list]
    factory = _as_factory(policy)
    out = Path(video_dir) if video_dir is not None else None
    results = [TaskResult(env_id=name, status="not_run", episodes_requested=episodes) for name in names]

    def gathered(interrupted: bool) -> EvalResults:
        return EvalResults(
            seed=seed,
            episodes=episodes,
            num_envs=num_envs,
            max_episode_steps=max_episode_steps,
            tasks=results,
            aggregate=aggregate(results, bootstrap_resamples, seed),
            interrupted=interrupted,
            aggregate_by_family=aggregate_by_family(results, bootstrap_resamples, seed),
            vector=vector,
        )

    for task, result in zip(task_list, results):
        try:
            _run_task(task, factory, result, episodes, seed, num_envs, max_episode_steps, dict(env_kwargs or {}),
                      out, video_episodes, progress, vector, device)
            result.status = "ok"
        except KeyboardInterrupt:
            result.status = "interrupted"
            return gathered(interrupted=True)
        except Exception as exc:  # a broken task must not take the others down
            result.status = "error"
            result.error = str(exc) if isinstance(exc, (PolicyFailed, EnvFailed)) else f"{type(exc).__name__}: {exc}"
            result.traceback = traceback.format_exc()
        if on_task_end is not None:
            on_task_end(gathered(interrupted=False))
    return gathered(interrupted=False)
