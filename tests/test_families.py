"""Success flags from the env's info (any step), and rliable aggregates per task family."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rollouts.aggregates import aggregate_scores
from rollouts.evaluate import evaluate


class FlagEnv(gym.Env):
    """Episodes of 5 steps; info[key] is 1 at step `at` only (None: never), as Meta-World sets it."""

    observation_space = spaces.Box(-1, 1, (1,), np.float32)
    action_space = spaces.Discrete(2)

    def __init__(self, key="success", at=None):
        self.key, self.at, self.t = key, at, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        self.at_now = self.at if self.at is None else (self.at if (seed or 0) % 2 == 0 else None)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        info = {self.key: float(self.t == self.at_now)}
        return np.zeros(1, np.float32), 1.0, False, self.t == 5, info


@pytest.mark.parametrize("key", ["success", "is_success"])
def test_success_at_any_step_counts(key):
    """Even seeds flag success at step 2 (and not at the last step): those episodes succeed."""
    results = evaluate(lambda obs: 0, lambda: FlagEnv(key, at=2), episodes=4, num_envs=2, progress=False)
    task = results.tasks[0]
    assert task.successes == [True, False, True, False] and task.success_rate == 0.5
    assert task.success_rule == f"info[{key!r}] at any step"
    assert results.aggregate_by_family["custom"].success_rate == 0.5


def test_no_flag_no_success_rate():
    task = evaluate(lambda obs: 0, lambda: FlagEnv("other", at=2), episodes=2, progress=False).tasks[0]
    assert task.successes is None and task.success_rate is None and task.success_rule is None


def test_atari_and_mujoco_run_has_both_families_and_human_normalized_atari():
    results = evaluate("random", ["ALE/MsPacman-v5", "Hopper-v5", "InvertedPendulum-v5"], episodes=2,
                       max_episode_steps=30, progress=False, bootstrap_resamples=200)
    families = results.aggregate_by_family
    assert list(families) == ["atari", "mujoco"]
    mspacman = results.tasks[0]
    assert mspacman.human_normalized == pytest.approx((mspacman.mean - 307.3) / (6951.6 - 307.3))
    assert mspacman.reference["human"]["source_key"] == "agent57"
    atari = families["atari"]
    assert atari.human_normalized.iqm is not None and atari.human_normalized.tasks == ["ALE/MsPacman-v5"]
    mujoco = families["mujoco"]
    assert mujoco.human_normalized is None and mujoco.tasks == ["Hopper-v5", "InvertedPendulum-v5"]
    expected = aggregate_scores(["Hopper-v5", "InvertedPendulum-v5"],
                                np.array([t.normalized_episodes for t in results.tasks[1:]]).T, 200, 0)
    assert mujoco.normalized == expected  # the family block is rliable's over the family's tasks alone
    data = results.to_dict()
    assert data["aggregate_by_family"]["atari"]["human_normalized"]["iqm"] == atari.human_normalized.iqm
    assert data["aggregate"]["tasks"] == ["ALE/MsPacman-v5", "Hopper-v5", "InvertedPendulum-v5"]  # kept as before
