"""Aggregate scores across tasks as rliable defines them (Agarwal et al. 2021, "Deep RL at the
Edge of the Statistical Precipice").

The input is a score matrix of shape (runs, tasks): the normalized score of every episode of
every task (gato-eval fixes the episodes per task up front, so the matrix is full).

- IQM: the 25%-trimmed mean of all runs of all tasks together (``scipy.stats.trim_mean``);
- mean and median: of the per-task mean scores;
- optimality gap: ``gamma - mean(min(score, gamma))`` over all runs, with gamma = 1 (the expert).

Each comes with a 95% percentile interval from rliable's stratified bootstrap: every resample
draws, for each task independently, as many runs as it has, with replacement. The draws are made
in rliable's order from a ``numpy.random.RandomState(seed)``, so the intervals equal
``rliable.library.get_interval_estimates`` after ``numpy.random.seed(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["METRICS", "Aggregate", "iqm", "mean", "median", "optimality_gap", "stratified_bootstrap_ci", "aggregate_scores"]


def iqm(scores: np.ndarray) -> float:
    """Interquartile mean over all runs and tasks: cut ``int(0.25 n)`` from each end, average the rest."""
    x = np.sort(np.asarray(scores, dtype=np.float64), axis=None)
    cut = int(0.25 * x.size)
    return float(x[cut : x.size - cut].mean())


def mean(scores: np.ndarray) -> float:
    """Mean of the per-task mean scores."""
    return float(np.mean(np.mean(scores, axis=0)))


def median(scores: np.ndarray) -> float:
    """Median of the per-task mean scores."""
    return float(np.median(np.mean(scores, axis=0)))


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> float:
    """How far the runs fall short of ``gamma``: scores above it count as ``gamma``."""
    return float(gamma - np.mean(np.minimum(scores, gamma)))


# The aggregates reported, by name, in the order reports list them.
METRICS: dict[str, Callable[[np.ndarray], float]] = {
    "iqm": iqm,
    "mean": mean,
    "median": median,
    "optimality_gap": optimality_gap,
}


def stratified_bootstrap_ci(
    scores: np.ndarray,
    metric: Callable[[np.ndarray], float],
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of ``metric`` under rliable's stratified bootstrap of ``scores`` (runs, tasks)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.size == 0:
        raise ValueError(f"scores must be a non-empty (runs, tasks) matrix, got shape {scores.shape}")
    runs, tasks = scores.shape
    rng = np.random.RandomState(seed)
    columns = np.arange(tasks)
    values = np.empty(resamples)
    for r in range(resamples):
        values[r] = metric(scores[rng.choice(runs, (runs, tasks), replace=True), columns])
    alpha = 100 * (1.0 - confidence) / 2
    lo, hi = np.percentile(values, [alpha, 100 - alpha])
    return float(lo), float(hi)


@dataclass
class Aggregate:
    """The aggregates of one evaluation's normalized scores, each with its 95% interval."""

    tasks: list[str]  # the tasks included: finished, with a reference score
    runs: int  # episodes per task in the score matrix
    iqm: float | None  # interquartile mean over all episodes of all tasks
    iqm_ci95: tuple[float, float] | None  # its stratified-bootstrap 95% interval
    mean: float | None  # mean of the per-task means
    mean_ci95: tuple[float, float] | None  # its interval
    median: float | None  # median of the per-task means
    median_ci95: tuple[float, float] | None  # its interval
    optimality_gap: float | None  # 1 - mean(min(score, 1)) over all episodes
    optimality_gap_ci95: tuple[float, float] | None  # its interval
    bootstrap_resamples: int  # bootstrap resamples drawn
    bootstrap_seed: int  # seed of the bootstrap's RandomState


def aggregate_scores(tasks: list[str], scores: np.ndarray | None, resamples: int = 2000, seed: int = 0) -> Aggregate:
    """Every metric of :data:`METRICS` with its interval; ``scores`` is (runs, tasks) or None (no aggregate)."""
    if scores is None or np.size(scores) == 0:
        return Aggregate([], 0, *([None] * 8), resamples, seed)
    found: list = []
    for metric in METRICS.values():
        found += [metric(scores), stratified_bootstrap_ci(scores, metric, resamples, seed)]
    return Aggregate(list(tasks), int(scores.shape[0]), *found, resamples, seed)
