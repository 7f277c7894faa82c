"""What an evaluation produces: one :class:`TaskResult` per task (returns, normalized scores,
success), the whole :class:`EvalResults`, and rliable's aggregates of them. Filled by
:mod:`rollouts.evaluate`, read by :mod:`rollouts.report`, :mod:`rollouts.plots` and :mod:`rollouts.sharded`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

import envs
from rollouts.aggregates import Aggregate, aggregate_scores
from rollouts.families import FamilyAggregate

__all__ = ["TaskResult", "EvalResults", "aggregate", "score_matrix", "summarize"]


@dataclass
class TaskResult:
    """What one task's evaluation produced (every field is JSON-serializable)."""

    env_id: str  # the task id
    status: Literal["ok", "error", "interrupted", "not_run"]  # how the task's evaluation ended
    family: str | None = None  # "atari", "mujoco", "babyai" or "gymnasium" (None if the id is unknown)
    make_kwargs: dict[str, Any] = field(default_factory=dict)  # kwargs defining the task
    time_limit: int | None = None  # the task's own episode limit in steps (None: none known)
    max_episode_steps: int | None = None  # the limit applied: min(time_limit, the cap asked for)
    capped: bool = False  # the cap cut the task's own limit: normalized scores not comparable
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
    human_normalized_episodes: list[float] | None = None  # the same per episode
    reference: dict[str, Any] | None = None  # the reference scores used, each with its source and protocol
    successes: list[bool] | None = None  # per episode: success reported (see the module doc), in episode order
    success_rate: float | None = None  # fraction of successful episodes (env's flag, or BabyAI's return > 0)
    success_rule: str | None = None  # how success was counted: "info['success'] at any step", ... or None
    steps: int = 0  # env steps in finished episodes
    wall_s: float = 0.0  # seconds from the first reset to the last episode's end
    steps_per_second: float | None = None  # steps / wall_s
    videos: list[str] = field(default_factory=list)  # mp4 paths of recorded episodes
    video_error: str | None = None  # why no video could be rendered for this task, if so
    error: str | None = None  # "ExceptionType: message" when status is "error"
    traceback: str | None = None  # the formatted traceback of that error


@dataclass
class EvalResults:
    """The whole evaluation: settings, one :class:`TaskResult` per task, the aggregate."""

    seed: int  # base seed: episode k of every task is reset with seed + k
    episodes: int  # episodes per task
    num_envs: int  # sub-envs per task requested
    max_episode_steps: int | None  # the cap asked for (each task records the limit it got)
    tasks: list[TaskResult]  # per task, in the order requested
    aggregate: Aggregate  # across tasks
    interrupted: bool = False  # True when Ctrl-C stopped the evaluation early
    aggregate_by_family: dict[str, FamilyAggregate] = field(default_factory=dict)  # per task family
    vector: str = "sync"  # how sub-envs were stepped: "sync" (one process) or "async" (a process each)

    @property
    def failed(self) -> list[TaskResult]:
        """The tasks that did not finish cleanly."""
        return [t for t in self.tasks if t.status != "ok"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serializable data."""
        return asdict(self)


def score_matrix(tasks: Sequence[TaskResult]) -> tuple[list[str], np.ndarray | None]:
    """The finished tasks with reference scores and their normalized scores as a (runs, tasks) matrix."""
    scored = [t for t in tasks if t.status == "ok" and t.normalized_episodes]
    if not scored:
        return [], None
    return [t.env_id for t in scored], np.array([t.normalized_episodes for t in scored], dtype=np.float64).T


def aggregate(tasks: Sequence[TaskResult], resamples: int = 2000, seed: int = 0) -> Aggregate:
    """rliable's aggregates of the tasks' normalized scores (see :mod:`rollouts.aggregates`)."""
    names, scores = score_matrix(tasks)
    return aggregate_scores(names, scores, resamples, seed)


def summarize(result: TaskResult) -> None:
    """Fill the statistics of ``result`` from its returns and lengths."""
    if not result.returns:
        return
    returns = np.asarray(result.returns, dtype=np.float64)
    result.mean = float(returns.mean())
    result.std = float(returns.std())
    result.median = float(np.median(returns))
    if result.successes is not None:
        result.success_rate = float(np.mean(result.successes))
    elif result.family == "babyai":  # BabyAI rewards only success: 1 - 0.9 * steps / max_steps
        result.success_rate = float(np.mean(returns > 0))
        result.success_rule = "return > 0"
    result.steps = int(sum(result.lengths))
    if result.wall_s > 0:
        result.steps_per_second = result.steps / result.wall_s
    ref = envs.reference_for(result.env_id)
    if ref is not None:
        result.reference = ref.to_dict()
        if ref.expert is not None:
            result.normalized_episodes = [envs.normalize(result.env_id, r) for r in result.returns]
            result.normalized = envs.normalize(result.env_id, result.mean)
        if ref.human is not None:
            result.human_normalized_episodes = [envs.human_normalize(result.env_id, r) for r in result.returns]
            result.human_normalized = envs.human_normalize(result.env_id, result.mean)
