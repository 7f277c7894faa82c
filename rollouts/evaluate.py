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
- Aggregates across tasks: mean and interquartile mean (IQM, as in rliable) of the per-task mean
  normalized scores, each with a 95% percentile-bootstrap confidence interval from a stratified
  bootstrap (episodes resampled with replacement within each task; seeded).

A task that fails to build or crashes mid-rollout is recorded with its error and the next task
runs; Ctrl-C stops the evaluation and returns what was gathered, with ``interrupted`` set.
"""

from __future__ import annotations

import copy
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Protocol, Sequence, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space, concatenate
from tqdm.auto import tqdm

import envs
from rollouts.video import EpisodeVideo, video_name

__all__ = [
    "Policy",
    "PolicyFactory",
    "RandomPolicy",
    "TaskResult",
    "Aggregate",
    "EvalResults",
    "evaluate",
    "iqm",
    "bootstrap_ci",
    "aggregate",
]


@runtime_checkable
class Policy(Protocol):
    """Anything that maps a batch of observations (leading dim ``num_envs``) to a batch of actions.

    It may also define ``reset(env_ids)``: called with None before the first step and with the
    indices of the sub-envs that start a new episode (GatoAgent clears their history then).
    """

    def act(self, obs: Any) -> Any: ...


# Builds the policy for one task: (task id, single observation space, single action space, num_envs).
PolicyFactory = Callable[[str, gym.Space, gym.Space, int], Policy]


class RandomPolicy:
    """Uniformly random actions; sub-env ``i`` samples from its own space seeded ``seed + i``."""

    def __init__(self, action_space: gym.Space, num_envs: int = 1, seed: int | None = None) -> None:
        """Sample from ``action_space`` (a single env's space) for ``num_envs`` sub-envs."""
        self.action_space = action_space
        self.num_envs = num_envs
        self._spaces = [copy.deepcopy(action_space) for _ in range(num_envs)]
        for i, space in enumerate(self._spaces):
            space.seed(None if seed is None else seed + i)
        self._batch = batch_space(action_space, num_envs)

    def act(self, obs: Any) -> Any:
        """A batch of ``num_envs`` random actions (``obs`` is ignored)."""
        return concatenate(
            self.action_space, [s.sample() for s in self._spaces], self._batch.sample()
        )

    def reset(self, env_ids: Sequence[int] | None = None) -> None:
        """Nothing to forget: random actions carry no episode state."""

    @staticmethod
    def factory(seed: int | None = None) -> PolicyFactory:
        """A :data:`PolicyFactory` building a RandomPolicy per task, seeded with ``seed``."""
        return lambda task_id, obs_space, act_space, num_envs: RandomPolicy(act_space, num_envs, seed)


@dataclass
class TaskResult:
    """What one task's evaluation produced (every field is JSON-serializable)."""

    env_id: str  # the task id
    status: Literal["ok", "error", "interrupted", "not_run"]  # how the task's evaluation ended
    family: str | None = None  # "atari", "mujoco", "babyai" or "gymnasium" (None if the id is unknown)
    make_kwargs: dict[str, Any] = field(default_factory=dict)  # kwargs defining the task
    num_envs: int = 0  # sub-envs actually used (at most the number of episodes)
    episodes_requested: int = 0  # episodes fixed up front
    seeds: list[int] = field(default_factory=list)  # reset seed of each finished episode
    returns: list[float] = field(default_factory=list)  # episode returns, in episode order
    lengths: list[int] = field(default_factory=list)  # episode lengths in env steps
    mean: float | None = None  # mean return over finished episodes
    std: float | None = None  # population standard deviation of the returns
    median: float | None = None  # median return
    normalized: float | None = None  # (mean - random) / (expert - random), if referenced
    normalized_episodes: list[float] | None = None  # the same per episode
    human_normalized: float | None = None  # (mean - random) / (human - random), Atari only
    success_rate: float | None = None  # fraction of episodes with a positive return, BabyAI only
    steps: int = 0  # env steps in finished episodes
    wall_s: float = 0.0  # seconds from the first reset to the last episode's end
    steps_per_second: float | None = None  # steps / wall_s
    videos: list[str] = field(default_factory=list)  # mp4 paths of recorded episodes
    video_error: str | None = None  # why no video could be rendered for this task, if so
    error: str | None = None  # "ExceptionType: message" when status is "error"
    traceback: str | None = None  # the formatted traceback of that error


@dataclass
class Aggregate:
    """Across-task statistics of the per-task mean normalized scores."""

    tasks: list[str]  # the tasks included: status "ok" and a reference score
    mean: float | None  # mean over tasks
    mean_ci95: tuple[float, float] | None  # stratified-bootstrap 95% interval of the mean
    iqm: float | None  # interquartile mean over tasks
    iqm_ci95: tuple[float, float] | None  # stratified-bootstrap 95% interval of the IQM
    bootstrap_resamples: int  # bootstrap resamples drawn
    bootstrap_seed: int  # seed of the bootstrap's generator


@dataclass
class EvalResults:
    """The whole evaluation: settings, one :class:`TaskResult` per task, the aggregate."""

    seed: int  # base seed: episode k of every task is reset with seed + k
    episodes: int  # episodes per task
    num_envs: int  # sub-envs per task requested
    max_episode_steps: int | None  # step cap per episode, if any
    tasks: list[TaskResult]  # per task, in the order requested
    aggregate: Aggregate  # across tasks
    interrupted: bool = False  # True when Ctrl-C stopped the evaluation early

    @property
    def failed(self) -> list[TaskResult]:
        """The tasks that did not finish cleanly."""
        return [t for t in self.tasks if t.status != "ok"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serializable data."""
        return asdict(self)


def iqm(values: Sequence[float] | np.ndarray, axis: int = -1) -> np.ndarray | float:
    """Interquartile mean: the mean of the middle half after cutting ``int(n / 4)`` from each end.

    The same trimming as ``scipy.stats.trim_mean(values, 0.25)``, which rliable uses.
    """
    x = np.sort(np.asarray(values, dtype=np.float64), axis=axis)
    n = x.shape[axis]
    if n == 0:
        raise ValueError("iqm of an empty sequence")
    cut = int(0.25 * n)
    middle = np.take(x, np.arange(cut, n - cut), axis=axis)
    result = middle.mean(axis=axis)
    return float(result) if np.ndim(result) == 0 else result


def bootstrap_ci(
    per_task: Sequence[Sequence[float]],
    statistic: Callable[[np.ndarray], np.ndarray],
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over tasks under a stratified bootstrap.

    Args:
        per_task: for each task, its per-episode scores.
        statistic: maps an array (resamples, tasks) of per-task means to (resamples,) values,
            e.g. ``lambda m: m.mean(axis=1)`` or ``lambda m: iqm(m, axis=1)``.
        resamples: bootstrap draws.
        seed: seed of the generator (same inputs and seed give the same interval).
        confidence: coverage of the interval.
    """
    if not per_task or any(len(t) == 0 for t in per_task):
        raise ValueError("bootstrap_ci needs at least one task and one score per task")
    rng = np.random.default_rng(seed)
    means = np.empty((resamples, len(per_task)))
    for j, scores in enumerate(per_task):
        scores = np.asarray(scores, dtype=np.float64)
        idx = rng.integers(0, len(scores), size=(resamples, len(scores)))
        means[:, j] = scores[idx].mean(axis=1)
    stats = np.asarray(statistic(means))
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def aggregate(tasks: Sequence[TaskResult], resamples: int = 2000, seed: int = 0) -> Aggregate:
    """Mean and IQM of the per-task normalized scores with their bootstrap intervals."""
    scored = [t for t in tasks if t.status == "ok" and t.normalized_episodes]
    if not scored:
        return Aggregate([], None, None, None, None, resamples, seed)
    per_task = [t.normalized_episodes for t in scored]
    task_means = np.array([np.mean(s) for s in per_task])
    return Aggregate(
        tasks=[t.env_id for t in scored],
        mean=float(task_means.mean()),
        mean_ci95=bootstrap_ci(per_task, lambda m: m.mean(axis=1), resamples, seed),
        iqm=float(iqm(task_means)),
        iqm_ci95=bootstrap_ci(per_task, lambda m: iqm(m, axis=1), resamples, seed),
        bootstrap_resamples=resamples,
        bootstrap_seed=seed,
    )


def _summarize(result: TaskResult) -> None:
    """Fill the statistics of ``result`` from its returns and lengths."""
    if not result.returns:
        return
    returns = np.asarray(result.returns, dtype=np.float64)
    result.mean = float(returns.mean())
    result.std = float(returns.std())
    result.median = float(np.median(returns))
    if result.family == "babyai":  # BabyAI rewards only success: 1 - 0.9 * steps / max_steps
        result.success_rate = float(np.mean(returns > 0))
    result.steps = int(sum(result.lengths))
    if result.wall_s > 0:
        result.steps_per_second = result.steps / result.wall_s
    if envs.reference_for(result.env_id) is not None:
        result.normalized_episodes = [envs.normalize(result.env_id, r) for r in result.returns]
        result.normalized = envs.normalize(result.env_id, result.mean)
        result.human_normalized = envs.human_normalize(result.env_id, result.mean)


def _run_task(
    policy: Policy | PolicyFactory,
    result: TaskResult,
    episodes: int,
    seed: int,
    num_envs: int,
    max_episode_steps: int | None,
    video_dir: Path | None,
    video_episodes: int,
    progress: bool,
) -> None:
    """Roll out ``episodes`` episodes of ``result.env_id`` and record them into ``result``."""
    n = min(num_envs, episodes)
    vec, task = envs.make_vector(
        result.env_id, n, render=video_dir is not None, max_episode_steps=max_episode_steps
    )
    result.family, result.make_kwargs, result.num_envs = task.family, task.make_kwargs, n
    order: list[int] = []  # episode index of each finished episode, to sort them at the end
    videos: dict[int, EpisodeVideo] = {}  # sub-env index -> video of its running episode
    bar = tqdm(total=episodes, desc=result.env_id, unit="ep", disable=not progress, leave=True)
    try:
        agent = policy if isinstance(policy, Policy) else policy(
            result.env_id, vec.single_observation_space, vec.single_action_space, n
        )
        if getattr(agent, "num_envs", n) != n:
            raise ValueError(
                f"the policy acts for num_envs={agent.num_envs} but this task runs {n} envs "
                f"(min(num_envs={num_envs}, episodes={episodes})); pass a factory to size it per task"
            )
        queues = [list(range(i, episodes, n)) for i in range(n)]  # fixed up front
        running: list[int | None] = [q.pop(0) for q in queues]  # episode index per sub-env
        fps = vec.metadata.get("render_fps") or 30

        def start_videos(env_ids: Sequence[int]) -> None:
            for i in env_ids:
                k = running[i]
                if video_dir is None or k is None or k >= video_episodes or result.video_error:
                    continue
                try:  # a task that cannot render (e.g. a missing pygame) is still evaluated
                    frame = vec.envs[i].render()
                except Exception as exc:
                    result.video_error = f"{type(exc).__name__}: {exc}"
                    continue
                videos[i] = EpisodeVideo(video_dir / video_name(result.env_id, k), fps)
                videos[i].append(frame)

        obs, _ = vec.reset(seed=[seed + k for k in running])
        if hasattr(agent, "reset"):
            agent.reset(None)
        start_videos(range(n))
        start = time.perf_counter()
        while any(k is not None for k in running):
            actions = agent.act(obs)
            obs, _, terminated, truncated, info = vec.step(actions)
            for i, video in videos.items():
                video.append(vec.envs[i].render())
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
                if i in videos:
                    result.videos.append(str(videos.pop(i).close()))
                running[i] = queues[i].pop(0) if queues[i] else None
                bar.update(1)
                bar.set_postfix(mean_return=f"{np.mean(result.returns):.1f}")
            result.wall_s = time.perf_counter() - start
            seeds = [seed + running[i] if d and running[i] is not None else None
                     for i, d in enumerate(done)]
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
        _summarize(result)


def evaluate(
    policy: Policy | PolicyFactory,
    task_ids: Sequence[str],
    episodes: int = 10,
    seed: int = 0,
    num_envs: int = 1,
    *,
    max_episode_steps: int | None = None,
    video_dir: str | Path | None = None,
    video_episodes: int = 1,
    progress: bool = True,
    bootstrap_resamples: int = 2000,
    on_task_end: Callable[[EvalResults], None] | None = None,
) -> EvalResults:
    """Evaluate ``policy`` on each task of ``task_ids``; see the module docstring for the protocol.

    Args:
        policy: an object with ``act(obs)`` (and optional ``reset(env_ids)``) for a batch of
            ``min(num_envs, episodes)`` envs, used on every task; or a :data:`PolicyFactory`
            called per task with the task id, its single-env spaces and the batch size (needed
            when tasks have different spaces, e.g. a GatoAgent per task).
        task_ids: ids accepted by :func:`envs.make`.
        episodes: episodes per task (>= 1).
        seed: episode ``k`` of each task is reset with ``seed + k``; the bootstrap uses ``seed``.
        num_envs: sub-envs per task (>= 1); at most ``episodes`` are used.
        max_episode_steps: optional cap in steps per episode (a truncation, counted as an end).
        video_dir: where to write an mp4 per recorded episode; None records none.
        video_episodes: episodes ``0 .. video_episodes - 1`` of each task are recorded.
        progress: show a tqdm bar per task (episodes done, running mean return).
        bootstrap_resamples: draws for the aggregate's confidence intervals.
        on_task_end: called after each task with the results so far (later tasks "not_run"),
            e.g. to save them, so a run killed outright still leaves its finished tasks behind.

    Returns:
        :class:`EvalResults` (``.to_dict()`` gives plain JSON data).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    if max_episode_steps is not None and max_episode_steps < 1:
        raise ValueError(f"max_episode_steps must be >= 1 or None, got {max_episode_steps}")
    if not task_ids:
        raise ValueError("no task ids given")
    if not isinstance(policy, Policy) and not callable(policy):
        raise TypeError("policy must have an act(obs) method or be a factory returning one")
    out = Path(video_dir) if video_dir is not None else None
    results = [TaskResult(env_id=t, status="not_run", episodes_requested=episodes) for t in task_ids]

    def gathered(interrupted: bool) -> EvalResults:
        return EvalResults(
            seed=seed,
            episodes=episodes,
            num_envs=num_envs,
            max_episode_steps=max_episode_steps,
            tasks=results,
            aggregate=aggregate(results, bootstrap_resamples, seed),
            interrupted=interrupted,
        )

    for result in results:
        try:
            _run_task(
                policy, result, episodes, seed, num_envs, max_episode_steps, out,
                video_episodes, progress,
            )
            result.status = "ok"
        except KeyboardInterrupt:
            result.status = "interrupted"
            return gathered(interrupted=True)
        except Exception as exc:  # a broken task must not take the others down
            result.status = "error"
            result.error = f"{type(exc).__name__}: {exc}"
            result.traceback = traceback.format_exc()
        if on_task_end is not None:
            on_task_end(gathered(interrupted=False))
    return gathered(interrupted=False)
