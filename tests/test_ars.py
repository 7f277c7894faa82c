"""Augmented Random Search: running statistics, a short real training run, and resume."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from envs.demonstrators.ars import ARSConfig, RunningStats, train
from envs.demonstrators.linear import LinearPolicy, read_metadata


def test_running_stats_match_numpy():
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(1000, 4))
    data[:, 3] = 7.0  # a dimension that never varies
    stats = RunningStats(4)
    for chunk in np.array_split(data, 7):
        stats.update(chunk)
    np.testing.assert_allclose(stats.mean, data.mean(axis=0))
    inv = stats.inv_std()
    np.testing.assert_allclose(inv[:3], 1 / data[:, :3].std(axis=0, ddof=1))
    assert inv[3] == 0.0


def test_short_run_learns_inverted_pendulum_and_resumes(tmp_path):
    out = tmp_path / "ip.npz"
    cfg = ARSConfig(env="InvertedPendulum-v5", out=out, iterations=12, directions=4, top=2,
                    step_size=0.5, noise=0.2, eval_every=2, eval_episodes=2, seed=0)
    policy = train(cfg)
    assert isinstance(policy, LinearPolicy)
    meta = read_metadata(out)
    assert meta["env_id"] == "InvertedPendulum-v5" and meta["eval_return"] > 100  # random: ~6
    with open(out.with_suffix(".csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["iteration"]) for r in rows] == list(range(1, 13))
    # Resuming continues the iteration count from the saved state.
    train(ARSConfig(**{**cfg.__dict__, "iterations": 14, "resume": True}))
    with open(out.with_suffix(".csv")) as f:
        assert [int(r["iteration"]) for r in csv.DictReader(f)] == list(range(1, 15))


def test_top_larger_than_directions_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="--top must be in"):
        train(ARSConfig(env="InvertedPendulum-v5", out=tmp_path / "x.npz", directions=2, top=3))


def test_workers_give_the_same_policy_as_one_process(tmp_path):
    common = dict(env="InvertedPendulum-v5", iterations=4, directions=3, top=2, step_size=0.5,
                  noise=0.2, eval_every=2, eval_episodes=2, seed=3)
    one = train(ARSConfig(out=tmp_path / "one.npz", **common))
    two = train(ARSConfig(out=tmp_path / "two.npz", workers=2, **common))
    np.testing.assert_array_equal(one.weights, two.weights)
    np.testing.assert_array_equal(one.mean, two.mean)
    assert read_metadata(tmp_path / "one.npz")["eval_return"] == read_metadata(tmp_path / "two.npz")["eval_return"]
