"""The demonstrator registry: one per task of the default suite, each clearly better than random.

Short rollouts of the real envs (capped episodes); the cheap tasks are checked against their
targets in test_demonstrators_control.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.demonstrators import (
    DEMONSTRATOR_SCORES,
    BoundDemonstrator,
    Demonstrator,
    get_demonstrator,
    has_demonstrator,
)

# Steps per capped episode (enough for the demonstrator to score, short enough for seconds) and
# the margin by which its mean return must beat the random policy's on the same capped episodes
# (random scores about: Breakout 3, Pong -20, pendulums 4 and 50, Reacher -44, HalfCheetah -30,
# Hopper 15; the demonstrators: 20, +5, 200, 1870, -7, 800, 540).
CAPS = {
    "ALE/Breakout-v5": (600, 12.0),
    "ALE/Pong-v5": (1500, 15.0),
    "InvertedPendulum-v5": (200, 150.0),
    "InvertedDoublePendulum-v5": (200, 1500.0),
    "Reacher-v5": (50, 25.0),
    "HalfCheetah-v5": (200, 500.0),
    "Hopper-v5": (200, 400.0),
    "Walker2d-v5": (200, 200.0),  # random 12, the demonstrator 392
    "Ant-v5": (200, 300.0),  # random 0, the demonstrator 596
    "Swimmer-v5": (200, 25.0),  # random 13, the demonstrator 63
    "Pusher-v5": (100, 50.0),  # the task's own limit; random -145, the demonstrator -47
    "BabyAI-GoToRedBall-v0": (64, 0.5),  # the level's own limit; random about 0.15, the bot 0.93
    "BabyAI-GoToLocal-v0": (64, 0.5),
}


def rollout(task_id: str, act, seed: int) -> float:
    env = envs.make(task_id, max_episode_steps=CAPS[task_id][0])
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    act.reset(env) if isinstance(act, Demonstrator) else None
    total = 0.0
    while True:
        action = act.act(obs, env) if isinstance(act, Demonstrator) else env.action_space.sample()
        assert env.action_space.contains(action), (task_id, action)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        if terminated or truncated:
            return total


def test_every_default_task_has_a_demonstrator_and_a_measured_score():
    assert all(has_demonstrator(task_id) for task_id in envs.suite("default"))
    assert set(envs.suite("default")) <= set(DEMONSTRATOR_SCORES)
    # each is checked against random: below, or in its family's module (test_demonstrators_atari,
    # test_demonstrators_babyai, test_metaworld)
    elsewhere = {t for t in envs.suite("default") if t.startswith(("Meta-World/", "BabyAI-", "ALE/"))}
    assert set(envs.suite("default")) - elsewhere <= set(CAPS)


@pytest.mark.parametrize("task_id", CAPS)  # the default suite and the linear demonstrators
def test_demonstrator_beats_random_clearly(task_id):
    demo = get_demonstrator(task_id)
    assert demo.task_id == task_id
    seeds = (0, 1)
    expert = np.mean([rollout(task_id, demo, s) for s in seeds])
    random = np.mean([rollout(task_id, None, s) for s in seeds])
    assert expert - random > CAPS[task_id][1], (expert, random)


def test_unknown_task_is_a_clear_error():
    with pytest.raises(ValueError, match="no demonstrator for 'Humanoid-v5'; demonstrators exist "
                                         "for: ALE/Breakout-v5"):
        get_demonstrator("Humanoid-v5")


def test_bind_gives_an_act_obs_policy():
    env = envs.make("InvertedPendulum-v5")
    policy = get_demonstrator("InvertedPendulum-v5").bind(env)
    assert isinstance(policy, BoundDemonstrator)
    obs, _ = env.reset(seed=0)
    policy.reset()
    for _ in range(100):
        obs, _, terminated, _, _ = env.step(policy.act(obs))
        assert not terminated
