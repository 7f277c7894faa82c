"""rollouts.policies: one spec for both CLIs, and the adapters behind it."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from rollouts.policies import (ExpertPolicy, PerObservation, PolicyError, PolicySpec, RandomPolicy, SingleEnvPolicy,
                               parse_policy, policy_factory)


@pytest.mark.parametrize(("spec", "checkpoint", "parsed"), [
    ("gato", None, PolicySpec("gato")),
    ("gato:ckpt/a", None, PolicySpec("gato", "ckpt/a")),
    ("checkpoint:ckpt/a", None, PolicySpec("gato", "ckpt/a")),
    ("gato", "ckpt/b", PolicySpec("gato", "ckpt/b")),
    ("expert", None, PolicySpec("expert")),
    ("random", None, PolicySpec("random")),
    ("mypkg.mod:make.policy", None, PolicySpec("module", "mypkg.mod:make.policy")),
])
def test_every_form_parses(spec, checkpoint, parsed):
    assert parse_policy(spec, checkpoint) == parsed


@pytest.mark.parametrize(("spec", "checkpoint", "message"), [
    ("greedy", None, "unknown --policy 'greedy'; accepted: gato, gato:PATH"),
    ("gato:", None, "no checkpoint folder after 'gato:'"),
    ("random", "ckpt", "--checkpoint is only used with --policy gato"),
    ("not a module:f", None, "unknown --policy"),
])
def test_bad_specs_say_what_is_accepted(spec, checkpoint, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(spec, checkpoint)


def test_expert_needs_its_envs_and_acts_per_sub_env():
    vec, _ = envs.make_vector("InvertedPendulum-v5", 2)
    policy = policy_factory(PolicySpec("expert"))("InvertedPendulum-v5", vec.single_observation_space,
                                                  vec.single_action_space, 2)
    assert isinstance(policy, ExpertPolicy)
    obs, _ = vec.reset(seed=[0, 1])
    with pytest.raises(RuntimeError, match="bind_envs"):
        policy.reset(None)
    policy.bind_envs(vec.envs)
    policy.reset(None)
    assert policy.act(obs).shape == (2, 1)
    vec.close()


def test_per_observation_and_single_env_adapters():
    space = gym.spaces.Box(-1, 1, (3,), np.float32)
    policy = PerObservation(lambda o: int(o[0] > 0), space, gym.spaces.Discrete(2), num_envs=2)
    assert policy.act(np.array([[0.5, 0, 0], [-0.5, 0, 0]], np.float32)).tolist() == [1, 0]
    with pytest.raises(PolicyError, match="can act for one env only"):
        PerObservation(lambda o: 0, space, gym.spaces.Discrete(2), num_envs=2, reset=lambda: None)
    env = envs.make("CartPole-v1")
    single = SingleEnvPolicy(RandomPolicy(env.action_space), env)
    obs, _ = env.reset(seed=3)
    env.action_space.seed(3)
    first = [single.act(obs) for _ in range(5)]
    env.action_space.seed(3)
    assert [single.act(obs) for _ in range(5)] == first  # bound: samples the env's own seeded space


def test_a_gato_checkpoint_policy_tokenizes_text_with_the_checkpoints_tokenizer(tmp_path, micro_config):
    from gato_agent import Gato, GatoAgent
    from gato_agent.text import default_text_tokenizer, train_sentencepiece

    space = gym.spaces.Dict({"mission": gym.spaces.Text(20), "direction": gym.spaces.Discrete(4)})
    own = train_sentencepiece(["go to the door", "open the box"] * 4, vocab_size=300)
    GatoAgent(Gato(micro_config), space, gym.spaces.Discrete(3), text_tokenizer=own).save_pretrained(tmp_path / "ckpt")
    policy = policy_factory(PolicySpec("gato", str(tmp_path / "ckpt")))("BabyAI-GoToLocal-v0", space,
                                                                         gym.spaces.Discrete(3), 1)
    assert policy.obs_codec.text_tokenizer == own != default_text_tokenizer()
