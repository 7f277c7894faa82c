"""LQR and operational-space demonstrators: the linearization, the gains, and the targets."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.demonstrators import get_demonstrator
from envs.demonstrators.control import LQRDemonstrator, dlqr, linearize


def play(task_id: str, seed: int, max_episode_steps: int | None = None) -> float:
    env = envs.make(task_id, max_episode_steps=max_episode_steps)
    demo = get_demonstrator(task_id)
    obs, _ = env.reset(seed=seed)
    demo.reset(env)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, _ = env.step(demo.act(obs, env))
        total += float(reward)
        if terminated or truncated:
            return total


@pytest.mark.parametrize("task_id", ["InvertedPendulum-v5", "InvertedDoublePendulum-v5"])
def test_linearization_is_unstable_open_loop_and_stable_with_lqr(task_id):
    env = envs.make(task_id)
    a, b = linearize(env)
    n = 2 * env.unwrapped.model.nv
    assert a.shape == (n, n) and b.shape == (n, 1)
    assert np.abs(np.linalg.eigvals(a)).max() > 1.0  # the upright pendulum falls
    demo = get_demonstrator(task_id)
    k = dlqr(a, b, np.diag(demo.q_diag), demo.r * np.eye(1))
    assert np.abs(np.linalg.eigvals(a - b @ k)).max() < 1.0


def test_inverted_pendulum_reaches_1000():
    assert play("InvertedPendulum-v5", seed=0) == 1000.0


def test_inverted_double_pendulum_balances_at_full_reward():
    # 9.36 per step is the reward of the upright pose (10 minus the height/velocity penalties).
    assert play("InvertedDoublePendulum-v5", seed=0, max_episode_steps=300) > 9.3 * 300


def test_reacher_reaches_the_target():
    returns = [play("Reacher-v5", seed=s) for s in range(10)]
    assert np.mean(returns) > -7.5  # reference expert -5.7, random -43


def test_state_cost_size_mismatch_is_an_error():
    env = envs.make("InvertedPendulum-v5")
    with pytest.raises(ValueError, match="state of size 4, but 3 state costs"):
        LQRDemonstrator("InvertedPendulum-v5", q_diag=(1.0, 1.0, 1.0), r=1.0).reset(env)
