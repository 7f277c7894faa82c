"""python -m envs.demonstrators.score: seeded measurements, with and without action noise."""

from __future__ import annotations

import json

import minari
import numpy as np
import pytest

from envs.demonstrators.score import ScoreConfig, score
from rollouts.collect import CollectConfig, collect


def test_score_counts_every_episode_and_writes_json(tmp_path):
    out = tmp_path / "ip.json"
    result = score(ScoreConfig(env="InvertedPendulum-v5", episodes=2, max_episode_steps=50, json=out))
    assert result.seeds == [0, 1] and result.lengths == [50, 50]
    assert result.returns == [50.0, 50.0] and result.mean == 50.0  # the LQR holds the pole
    saved = json.loads(out.read_text())
    assert saved["returns"] == result.returns and saved["config"]["max_episode_steps"] == 50


def test_action_noise_is_gato_collects_noise(tmp_path):
    """Episode i under --action-noise is the episode gato-collect records with the same seed."""
    cfg = dict(env="ALE/Breakout-v5", max_episode_steps=300)
    noisy = score(ScoreConfig(episodes=2, action_noise=0.3, **cfg))
    again = score(ScoreConfig(episodes=2, action_noise=0.3, **cfg))
    assert noisy.returns == again.returns  # seeded per episode
    data = minari.MinariDataset(str(collect(CollectConfig(
        out=tmp_path / "breakout", episodes=2, action_noise=0.3, progress=False, **cfg)).data_path))
    recorded = [float(np.sum(ep.rewards)) for ep in data.iterate_episodes()]
    assert recorded == noisy.returns


def test_full_discrete_noise_is_the_random_policy():
    clean = score(ScoreConfig(env="ALE/Breakout-v5", episodes=2, max_episode_steps=400))
    random = score(ScoreConfig(env="ALE/Breakout-v5", episodes=2, max_episode_steps=400, action_noise=1.0))
    assert min(clean.returns) > max(random.returns)


def test_bad_noise_is_a_clear_error():
    with pytest.raises(ValueError, match=r"--action-noise must be in \[0, 1\], got 1.5"):
        score(ScoreConfig(env="InvertedPendulum-v5", action_noise=1.5))
