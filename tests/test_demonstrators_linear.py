"""Linear policies: the committed weights load and act; files round-trip; bad shapes are errors."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.demonstrators import ASSETS, has_demonstrator
from envs.demonstrators.linear import LinearPolicy, read_metadata


@pytest.mark.parametrize("task_id", sorted(p.stem for p in ASSETS.glob("*.npz")))
def test_committed_weights_fit_the_task(task_id):
    assert has_demonstrator(task_id)
    path = ASSETS / f"{task_id}.npz"
    assert path.stat().st_size < 16_000  # kilobytes
    policy = LinearPolicy.load(path)
    env = envs.make(task_id)
    assert (policy.act_dim, policy.obs_dim) == (env.action_space.shape[0],
                                                env.observation_space.shape[0])
    meta = read_metadata(path)
    assert meta["env_id"] == task_id and meta["method"] == "ARS V2-t"
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(policy(obs))


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    policy = LinearPolicy(rng.normal(size=(2, 3)), rng.normal(size=3), np.array([1.0, 0.0, 2.0]),
                          -np.ones(2), np.ones(2))
    policy.save(tmp_path / "p.npz", env_id="X-v0", eval_return=1.5)
    loaded = LinearPolicy.load(tmp_path / "p.npz")
    obs = rng.normal(size=3)
    np.testing.assert_array_equal(loaded(obs), policy(obs))
    assert read_metadata(tmp_path / "p.npz") == {"env_id": "X-v0", "eval_return": 1.5}
    assert np.all(np.abs(policy(100 * obs)) <= 1.0)  # clipped to the bounds


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"LinearPolicy.mean has shape \(4,\), expected \(3,\)"):
        LinearPolicy(np.zeros((2, 3)), np.zeros(4), np.ones(3), -np.ones(2), np.ones(2))


def test_not_a_policy_file_is_an_error(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a linear-policy file: missing keys"):
        LinearPolicy.load(tmp_path / "other.npz")
