"""BabyAI's bot as a demonstrator: it solves the levels it is used on, and survives foreign actions."""

import numpy as np
import pytest

import envs
from envs.demonstrators import DEMONSTRATOR_SCORES, get_demonstrator, perturb
from envs.demonstrators.babyai import BabyAIDemonstrator


def _episode(task_id, seed, noise=0.0):
    env = envs.make(task_id)
    demo = get_demonstrator(task_id)
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    demo.reset(env)
    rng = np.random.default_rng(seed)
    total = 0.0
    while True:
        action = perturb(demo.act(obs, env), env.action_space, noise, rng)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        if terminated or truncated:
            return total


@pytest.mark.parametrize("task_id", [t for t in envs.suite("default") if t.startswith("BabyAI-")])
def test_the_bot_solves_the_level(task_id):
    assert isinstance(get_demonstrator(task_id), BabyAIDemonstrator) and task_id in DEMONSTRATOR_SCORES
    returns = [_episode(task_id, seed) for seed in range(5)]
    assert all(r > 0 for r in returns), returns


def test_the_bot_replans_after_actions_it_did_not_choose():
    returns = [_episode("BabyAI-GoToLocal-v0", seed, noise=0.5) for seed in range(10)]
    assert sum(r > 0 for r in returns) >= 5, returns
