"""Checkpoints: round trip, and clear errors for what does not match."""

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent
from gato_agent.checkpoint import load_checkpoint, save_checkpoint

OBS, ACT = spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32)


@pytest.fixture
def saved(tmp_path, micro_config):
    torch.manual_seed(0)
    prompt = {"observations": np.zeros((2, 3), np.float32), "actions": np.ones((2, 2), np.float32)}
    agent = GatoAgent(Gato(micro_config), OBS, ACT, prompt=prompt)
    agent.save_pretrained(tmp_path / "ckpt")
    return agent, tmp_path / "ckpt"


def test_round_trip_gives_the_same_actions(saved):
    agent, path = saved
    loaded = GatoAgent.from_pretrained(path)
    assert loaded.observation_space == OBS and loaded.action_space == ACT
    assert torch.equal(loaded.prompt.ids, agent.prompt.ids)
    obs = np.array([0.1, -0.5, 0.9], np.float32)
    for _ in range(3):
        assert np.array_equal(agent.act(obs), loaded.act(obs))
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "prompt.safetensors"]


def test_loads_with_agent_options_and_matching_spaces(saved):
    _, path = saved
    agent = GatoAgent.from_pretrained(path, observation_space=OBS, action_space=ACT, num_envs=3, use_cache=False)
    assert agent.num_envs == 3 and agent.cache is None


def test_a_space_mismatch_says_what_differs(saved):
    _, path = saved
    with pytest.raises(ValueError, match=r"saved for the observation space Box\(-1.0, 1.0, \(3,\), float32\), but the env's is Box\(-1.0, 1.0, \(4,\)"):
        GatoAgent.from_pretrained(path, observation_space=spaces.Box(-1, 1, (4,), np.float32))


def test_weights_that_do_not_match_the_config_say_why(saved):
    _, path = saved
    meta = json.loads((path / "config.json").read_text())
    meta["model"]["num_layers"] = 3
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"does not match .*config.json: config.json says num_layers=3, the weights have num_layers=2; missing from the weights: blocks\.2\."):
        load_checkpoint(path)
    meta["model"]["num_layers"], meta["model"]["embed_dim"] = 2, 64
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"config.json says embed_dim=64, the weights have embed_dim=32;.* has shape \(32, 32\) in the weights but \(64, 64\)"):
        load_checkpoint(path)
    meta["model"]["embed_dims"] = 64
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="unknown GatoConfig field"):
        load_checkpoint(path)


def test_missing_paths_and_files(tmp_path, saved):
    with pytest.raises(FileNotFoundError, match="not a gato-agent checkpoint: config.json is missing"):
        load_checkpoint(tmp_path / "nowhere")
    _, path = saved
    (path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors is missing"):
        load_checkpoint(path)


def test_model_only_checkpoint_needs_spaces(tmp_path, micro_config):
    save_checkpoint(tmp_path, Gato(micro_config))
    with pytest.raises(ValueError, match="stores no observation space: pass observation_space="):
        GatoAgent.from_pretrained(tmp_path)
    env = gym.make("CartPole-v1")
    agent = GatoAgent.from_pretrained(tmp_path, observation_space=env.observation_space, action_space=env.action_space)
    assert env.action_space.contains(agent.act(env.reset(seed=0)[0]))


def test_saving_again_replaces_files_and_leaves_no_temporaries(saved, micro_config):
    agent, path = saved
    other = GatoAgent(Gato(dataclasses.replace(micro_config)), OBS, ACT)
    other.save_pretrained(path)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors"]
    loaded = load_checkpoint(path)
    assert loaded.prompt is None
    assert torch.equal(loaded.model.tokens.weight, other.model.tokens.weight)
