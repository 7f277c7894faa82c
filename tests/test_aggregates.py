"""rollouts.aggregates against rliable's own functions, on the same arrays."""

import numpy as np
import pytest

from rollouts.aggregates import METRICS, aggregate_scores, iqm, stratified_bootstrap_ci

rliable_metrics = pytest.importorskip("rliable.metrics")
rliable_library = pytest.importorskip("rliable.library")

RLIABLE = {
    "iqm": rliable_metrics.aggregate_iqm,
    "mean": rliable_metrics.aggregate_mean,
    "median": rliable_metrics.aggregate_median,
    "optimality_gap": rliable_metrics.aggregate_optimality_gap,
}


def _four_tasks():
    rng = np.random.default_rng(3)  # 10 episodes of 4 tasks, skewed like real normalized scores
    return np.stack([rng.normal(0, 0.02, 10), rng.normal(0.01, 0.05, 10), rng.exponential(0.3, 10), rng.normal(1.1, 0.4, 10)], 1)


@pytest.mark.parametrize("name", list(METRICS))
def test_point_estimates_equal_rliables(name):
    scores = _four_tasks()
    assert METRICS[name](scores) == pytest.approx(float(RLIABLE[name](scores)), abs=1e-12)


def test_iqm_is_over_all_runs_not_over_task_means():
    scores = _four_tasks()
    task_means = scores.mean(axis=0)
    assert iqm(scores) == pytest.approx(float(rliable_metrics.aggregate_iqm(scores)))
    assert iqm(scores) != pytest.approx(float(np.mean(np.sort(task_means)[1:3])))  # the old, wrong IQM


@pytest.mark.parametrize("name", list(METRICS))
def test_intervals_equal_rliables_stratified_bootstrap(name):
    scores = _four_tasks()
    np.random.seed(7)  # rliable draws from numpy's global generator
    _, intervals = rliable_library.get_interval_estimates({"x": scores}, RLIABLE[name], reps=200)
    lo, hi = stratified_bootstrap_ci(scores, METRICS[name], resamples=200, seed=7)
    assert (lo, hi) == pytest.approx(tuple(intervals["x"][:, 0]), abs=1e-12)


def test_aggregate_scores_fills_every_metric_and_none_without_scores():
    agg = aggregate_scores(["a", "b", "c", "d"], _four_tasks(), resamples=100, seed=0)
    assert agg.runs == 10 and agg.tasks == ["a", "b", "c", "d"]
    for name in METRICS:
        lo, hi = getattr(agg, f"{name}_ci95")
        assert lo <= getattr(agg, name) <= hi
    empty = aggregate_scores([], None)
    assert empty.iqm is None and empty.iqm_ci95 is None and empty.tasks == []
