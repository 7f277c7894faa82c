"""The compact vector layout (GatoConfig.vector_encoding "linear"): one token per continuous
observation vector, trained, acted with and without the KV cache, and saved; the paper's layout stays
the default."""

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent, GatoConfig
from gato_agent.checkpoint import Task, load_checkpoint, save_checkpoint
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.timestep import Timestep
from gato_agent.tokenizer import mu_law_encode
from gato_agent.train import TrainConfig, train


@pytest.fixture
def linear_config(micro_config):
    return dataclasses.replace(micro_config, vector_encoding="linear")


def layout(config, obs_space, act_space=spaces.Box(-1, 1, (4,), np.float32)):
    return Timestep(ObservationCodec(obs_space, config), ActionCodec(act_space, config))


def test_unknown_encodings_are_refused_naming_the_accepted_ones_and_old_configs_mean_tokens(micro_config):
    with pytest.raises(ValueError, match="vector_encoding='dense' is not one of 'tokens', 'linear', 'mlp'"):
        GatoConfig(vector_encoding="dense")
    old = micro_config.to_dict()
    del old["vector_encoding"], old["max_vector_size"]  # a config.json written before the switch
    assert GatoConfig.from_dict(old).vector_encoding == "tokens"
    assert GatoConfig.small().vector_encoding == GatoConfig.tiny().vector_encoding == "tokens"  # the presets: the paper's


def test_decoded_vector_values_are_the_floats_themselves_at_their_bins_resolution(linear_config):
    obs = np.array([0.6, 0.65, 0.0, -0.3, 40.0, 1e6], np.float32)
    space = spaces.Box(-np.inf, np.inf, (6,), np.float32)
    companded, decoded = (layout(c, space) for c in (linear_config, dataclasses.replace(linear_config, vector_values="decoded")))
    ids = ObservationCodec(space, linear_config).tokenize(obs[None], 1)[0]
    want = np.array([0.6, 0.65, 0.0, -0.3, 10.0, 10.0])  # clipped to [-10, 10]
    got = decoded.vector_values(ids)[0, :6].numpy()
    np.testing.assert_allclose(got, want, atol=0.02 * 0.65)  # a bin near 0.6 is about 1.3% of the value wide
    np.testing.assert_allclose(companded.vector_values(ids)[0, :4].numpy(), mu_law_encode(torch.tensor(obs[:4])).numpy(), atol=2e-3)
    with pytest.raises(ValueError, match="vector_values='raw' is not one of 'companded', 'decoded'"):
        GatoConfig(vector_values="raw")


def test_an_mlp_encoder_starts_as_the_linear_one_it_is_initialised_from_and_then_learns_its_branch(linear_config):
    from gato_agent.train import _load_matching

    mlp_config = dataclasses.replace(linear_config, vector_encoding="mlp", vector_hidden=32)
    torch.manual_seed(0)
    linear, mlp = Gato(linear_config), Gato(mlp_config)
    assert mlp.vectors.inner.weight.shape == (32, linear_config.max_vector_size)
    assert not mlp.vectors.outer.weight.any() and not mlp.vectors.outer.bias.any()  # the branch adds nothing yet
    _load_matching(mlp, linear, verbose=False)  # gato-train --init with --model-overrides vector_encoding=mlp
    step = layout(mlp_config, spaces.Box(-np.inf, np.inf, (39,), np.float64))
    assert step.size == 1 + 1 + 4  # the same one token a vector as "linear"
    rng = np.random.default_rng(0)
    episode = step.episode(rng.uniform(-1, 1, (3, 39)).astype(np.float32), rng.uniform(-1, 1, (3, 4)).astype(np.float32))
    with torch.no_grad():
        assert torch.equal(mlp(episode), linear(episode))
    optimizer = torch.optim.SGD(mlp.vectors.parameters(), lr=0.1)
    for _ in range(2):  # the first step moves the output layer, the second the inner one through it
        optimizer.zero_grad()
        mlp(episode).square().mean().backward()
        optimizer.step()
    assert mlp.vectors.outer.weight.any() and mlp.vectors.inner.weight.grad.any()
    with pytest.raises(ValueError, match="vector_hidden=0 must be at least 1"):
        dataclasses.replace(mlp_config, vector_hidden=0)


def test_a_meta_world_timestep_is_one_observation_token_not_39(micro_config, linear_config):
    obs = spaces.Box(-np.inf, np.inf, (39,), np.float64)  # Meta-World's observation
    assert layout(micro_config, obs).size == 39 + 1 + 4
    compact = layout(linear_config, obs)
    assert compact.size == 1 + 1 + 4 and compact.n_obs == 1
    assert compact.vector_mask.tolist() == [True] + [False] * 5
    assert not any(k.startswith("vectors.") for k in Gato(micro_config).state_dict())  # "tokens": no new weights


def test_discrete_parts_keep_their_tokens_and_each_vector_is_one(linear_config):
    obs = spaces.Dict({"a": spaces.Box(-1, 1, (5,), np.float32), "b": spaces.Discrete(3), "c": spaces.Box(-1, 1, (2, 2), np.float32)})
    step = layout(linear_config, obs, spaces.Discrete(2))
    assert step.n_obs == 3 and step.vector_mask[:3].tolist() == [True, False, True]
    ids, _ = step.obs_codec.tokenize({"a": np.full((1, 5), 0.5, np.float32), "b": np.array([2]), "c": np.zeros((1, 2, 2), np.float32)}, 1)
    tokens = step.observation(ids, torch.zeros(1, 0, 3, 32, 32, dtype=torch.uint8))
    assert tokens.ids.tolist() == [[0, 2, 0]]  # the discrete value keeps its id; a vector's slot is 0
    assert tokens.vectors.shape == (2, linear_config.max_vector_size)
    # the floats as the paper companded them before binning [App. B], to within a bin, zero-padded
    assert torch.allclose(tokens.vectors[0, :5], mu_law_encode(torch.tensor(0.5)).float(), atol=2 / 1024)
    assert tokens.vectors[1, :4].abs().max() <= 1 / 1024  # zeros: the centre of the bin next to 0
    assert tokens.vectors[0, 5:].abs().sum() == 0 and tokens.vectors[1, 4:].abs().sum() == 0


def test_vectors_below_min_vector_size_keep_a_token_per_float(linear_config):
    config = dataclasses.replace(linear_config, min_vector_size=24)
    assert layout(config, spaces.Box(-np.inf, np.inf, (17,), np.float64)).size == 17 + 1 + 4  # HalfCheetah: the paper's
    assert layout(config, spaces.Box(-np.inf, np.inf, (39,), np.float64)).size == 1 + 1 + 4  # Meta-World: one token
    obs = spaces.Dict({"small": spaces.Box(-1, 1, (3,), np.float32), "big": spaces.Box(-1, 1, (30,), np.float32)})
    step = layout(config, obs)
    assert step.n_obs == 1 + 3 and step.num_vectors == 1  # "big" (first, sorted) one token, "small" three
    with pytest.raises(ValueError, match="min_vector_size=65 must be from 1 to max_vector_size=64"):
        dataclasses.replace(linear_config, min_vector_size=65)


def test_a_vector_longer_than_max_vector_size_is_a_clear_error(linear_config):
    with pytest.raises(ValueError, match=r"holds 39 floats, more than max_vector_size=16"):
        layout(dataclasses.replace(linear_config, max_vector_size=16), spaces.Box(-1, 1, (39,), np.float32))


def test_cached_and_recomputed_acting_take_the_same_actions(linear_config):
    torch.manual_seed(0)
    model = Gato(linear_config).eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(15.0)  # larger weights: greedy actions vary from step to step
    env = gym.make("Reacher-v5", max_episode_steps=40)  # 10 floats -> 1 token, 2 action dims
    env.observation_space.seed(0)  # the same prompt every run: a random one could hold a near-tie
    env.action_space.seed(0)
    prompt = {"observations": np.stack([env.observation_space.sample() for _ in range(4)]),
              "actions": np.stack([env.action_space.sample() for _ in range(3)])}
    runs = []
    for cache in (True, False):
        agent = GatoAgent(model, env.observation_space, env.action_space, use_cache=cache, prompt=prompt)
        assert agent.step_tokens == 1 + 1 + 2
        obs, _ = env.reset(seed=0)
        actions = []
        for _ in range(40):
            actions.append(agent.act(obs))
            obs, *_ = env.step(actions[-1])
        runs.append(np.array(actions))
    assert len(np.unique(runs[0])) > 5  # the check below is not trivially true
    assert np.array_equal(runs[0], runs[1])


def pendulum_policy(obs):
    return np.clip([-2.0 * obs[2] - 0.5 * obs[1]], -2.0, 2.0).astype(np.float32)


def test_gato_train_fits_and_the_checkpoint_acts_as_the_demonstrator(make_dataset, linear_config, tmp_path):
    path = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=16)
    config_file = tmp_path / "linear.json"
    config_file.write_text(json.dumps(dataclasses.replace(linear_config, context_length=128).to_dict()))
    cfg = TrainConfig(dataset=[str(path)], out=tmp_path / "run", config=str(config_file), batch_size=4, steps=250,
                      warmup_steps=20, lr=3e-3, log_every=1, checkpoint_every=250, progress=False, threads=1, prompt_prob=0.0)
    train(cfg)
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert losses[0] > 0.5 and np.mean(losses[-10:]) < 0.1
    ckpt = load_checkpoint(tmp_path / "run")
    assert ckpt.model.config.vector_encoding == "linear"
    assert ckpt.tasks["Pendulum-v1"].prompt.vectors.shape == (ckpt.tasks["Pendulum-v1"].prompt.vector_mask.sum(), 64)
    import minari

    agent = GatoAgent.from_pretrained(tmp_path / "run", prompt=None)
    assert agent.step_tokens == 3  # 3 floats -> 1 token, the separator, 1 action
    right = total = 0
    for episode in minari.MinariDataset(str(path / "data")).iterate_episodes():
        agent.reset()
        for obs, action in zip(episode.observations[:-1], episode.actions):
            right += np.allclose(agent.act(obs), action, atol=4.0 / 1024 + 1e-6)
            total += 1
    assert right / total > 0.8


def test_checkpoints_round_trip_weights_and_prompt_vectors(linear_config, tmp_path):
    torch.manual_seed(0)
    model = Gato(linear_config)
    obs_space, act_space = spaces.Box(-1, 1, (7,), np.float32), spaces.Box(-1, 1, (2,), np.float32)
    rng = np.random.default_rng(0)
    prompt = layout(linear_config, obs_space, act_space).episode(rng.uniform(-1, 1, (5, 7)).astype(np.float32),
                                                                 rng.uniform(-1, 1, (5, 2)).astype(np.float32))
    save_checkpoint(tmp_path / "ckpt", model, {"t": Task(obs_space, act_space, prompt)})
    ckpt = load_checkpoint(tmp_path / "ckpt")
    assert ckpt.model.config == linear_config
    assert all(torch.equal(v, ckpt.model.state_dict()[k]) for k, v in model.state_dict().items())
    loaded = ckpt.tasks["t"].prompt
    assert torch.equal(loaded.vectors, prompt.vectors) and torch.equal(loaded.vector_mask, prompt.vector_mask)
    assert torch.equal(loaded.ids, prompt.ids)
    with torch.no_grad():
        assert torch.equal(ckpt.model(loaded), model(prompt))
