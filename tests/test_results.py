"""A task's statistics and normalized scores from its returns, and the aggregate over tasks."""

from __future__ import annotations

import pytest

import envs
from rollouts.results import TaskResult, aggregate, score_matrix, summarize


def test_summarize_fills_statistics_and_normalizes_by_the_tasks_references():
    ref = envs.reference_for("ALE/Breakout-v5")
    task = TaskResult("ALE/Breakout-v5", "ok", family="atari", returns=[ref.random, ref.expert], lengths=[10, 30], wall_s=2.0)
    summarize(task)
    assert (task.mean, task.median, task.steps, task.steps_per_second) == ((ref.random + ref.expert) / 2,) * 2 + (40, 20.0)
    assert task.normalized_episodes == pytest.approx([0.0, 1.0]) and task.normalized == pytest.approx(0.5)
    assert task.human_normalized_episodes[0] == pytest.approx(0.0)
    assert task.reference["expert"]["score"] == ref.expert and task.reference["expert"]["protocol"]


def test_success_comes_from_the_env_flag_or_babyais_positive_return():
    flagged = TaskResult("Meta-World/reach-v3", "ok", family="metaworld", returns=[1.0, 2.0, 3.0], lengths=[5] * 3,
                         successes=[True, False, True])
    summarize(flagged)
    assert flagged.success_rate == pytest.approx(2 / 3)
    babyai = TaskResult("BabyAI-GoToLocal-v0", "ok", family="babyai", returns=[0.0, 0.5], lengths=[64, 3])
    summarize(babyai)
    assert (babyai.success_rate, babyai.success_rule) == (0.5, "return > 0")


def test_only_finished_tasks_with_references_enter_the_aggregate():
    scored = TaskResult("ALE/Pong-v5", "ok", family="atari", returns=[-20.7, 21.0], lengths=[1, 1])
    failed = TaskResult("ALE/Breakout-v5", "error", family="atari", returns=[5.0], lengths=[1])
    unreferenced = TaskResult("CartPole-v1", "ok", family="gymnasium", returns=[10.0], lengths=[10])
    for task in (scored, failed, unreferenced):
        summarize(task)
    names, matrix = score_matrix([scored, failed, unreferenced])
    assert names == ["ALE/Pong-v5"] and matrix.shape == (2, 1)
    assert aggregate([scored, failed, unreferenced], resamples=50).mean == pytest.approx(0.5)
