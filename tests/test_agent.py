"""GatoAgent: the cache equals recomputation, batched envs are independent, long episodes stay
bounded, and every supported space acts inside its action space, on real and fake envs."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent
from gato_agent.tokenizer import TokenBatch


def sharp_model(config, seed=0):
    """A random model with larger weights, so that greedy actions vary from step to step."""
    torch.manual_seed(seed)
    model = Gato(config)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(15.0)
    return model.eval()


def run_episode(agent, env, seed, steps=None):
    obs, _ = env.reset(seed=seed)
    agent.reset()
    actions, logits = [], []
    while True:
        action = agent.act(obs)
        actions.append(action)
        logits.append([l.clone() for l in agent.last_logits])
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated or (steps and len(actions) == steps):
            return np.array(actions), logits


def test_cache_and_recompute_agree_over_a_300_step_episode(micro_config):
    """Pendulum-v1: 3 observation + 1 separator + 1 action tokens per step, 1500 tokens in all,
    inside a 2048-token context (beyond it, see test_model's sliding-window test)."""
    model = sharp_model(dataclasses.replace(micro_config, context_length=2048))
    env = gym.make("Pendulum-v1", max_episode_steps=300)
    cached, cached_logits = run_episode(GatoAgent(model, env.observation_space, env.action_space), env, seed=3)
    plain, plain_logits = run_episode(GatoAgent(model, env.observation_space, env.action_space, use_cache=False), env, seed=3)
    assert len(cached) == 300
    assert len(np.unique(cached)) > 5  # the check below is not trivially true
    assert np.array_equal(cached, plain)
    for a, b in zip(cached_logits, plain_logits):
        assert torch.allclose(a[0], b[0], atol=1e-4, rtol=0)


def test_multi_dim_actions_and_a_prompt_agree_with_recompute(micro_config):
    model = sharp_model(micro_config, seed=1)
    env = gym.make("Reacher-v5", max_episode_steps=15)  # 13 tokens a step: prompt + episode fit in 256
    env.observation_space.seed(0)  # the same demonstration every run
    env.action_space.seed(0)
    demo_obs = np.stack([env.observation_space.sample() for _ in range(4)])
    demo_act = np.stack([env.action_space.sample() for _ in range(3)])
    prompt = {"observations": demo_obs, "actions": demo_act}
    make = lambda cache: GatoAgent(model, env.observation_space, env.action_space, use_cache=cache, prompt=prompt)
    cached, cached_logits = run_episode(make(True), env, seed=0)
    plain, plain_logits = run_episode(make(False), env, seed=0)
    assert np.array_equal(cached, plain)
    for a, b in zip(cached_logits, plain_logits):
        for la, lb in zip(a, b):
            assert torch.allclose(la, lb, atol=1e-4, rtol=0)
    unprompted, _ = run_episode(GatoAgent(model, env.observation_space, env.action_space), env, seed=0)
    assert not np.array_equal(unprompted, cached)  # the prompt conditions the episode


def test_resetting_one_env_leaves_the_others_untouched(micro_config):
    model = sharp_model(micro_config, seed=2)
    obs_space, act_space = spaces.Box(-5, 5, (3,), np.float32), spaces.Discrete(6)
    rng = np.random.default_rng(0)
    observations = rng.uniform(-5, 5, (12, 4, 3)).astype(np.float32)
    runs = []
    for reset_at in (None, 6):
        agent = GatoAgent(model, obs_space, act_space, num_envs=4)
        actions, logits = [], []
        for t in range(12):
            if t == reset_at:
                agent.reset([1])
            actions.append(agent.act(observations[t]))
            logits.append(agent.last_logits[0])
        runs.append((np.array(actions), torch.stack(logits)))
    (a, la), (b, lb) = runs
    others = [0, 2, 3]
    assert np.array_equal(a[:, others], b[:, others])
    assert torch.allclose(la[:, others], lb[:, others], atol=1e-5)
    assert not torch.allclose(la[6:, 1], lb[6:, 1], atol=1e-3)  # env 1 did start over
    # and env 1 after its reset acts as a fresh single-env agent on the same observations
    fresh = GatoAgent(model, obs_space, act_space)
    assert [int(fresh.act(o)) for o in observations[6:, 1]] == b[6:, 1].tolist()


def test_a_5000_step_episode_keeps_memory_flat_and_positions_distinct(micro_config):
    model = Gato(dataclasses.replace(micro_config, context_length=64)).eval()
    agent = GatoAgent(model, spaces.Box(-1, 1, (2,), np.float32), spaces.Discrete(3))
    cache = agent.cache
    pointers = [cache.k.data_ptr(), cache.v.data_ptr(), cache.slot_pos.data_ptr()]
    shape = tuple(cache.k.shape)
    obs = np.zeros(2, np.float32)
    for t in range(5000):
        assert agent.action_space.contains(agent.act(obs))
        if t % 500 == 0:
            held = cache.slot_pos[0][cache.slot_pos[0] >= 0]
            assert held.unique().numel() == held.numel()
    assert [cache.k.data_ptr(), cache.v.data_ptr(), cache.slot_pos.data_ptr()] == pointers
    assert tuple(cache.k.shape) == shape
    # 4 tokens per step; the last action token waits for the next step's prefill
    assert cache.next_pos.item() == 5000 * agent.step_tokens - 1
    held = cache.slot_pos[0][cache.slot_pos[0] >= 0]
    assert held.unique().numel() == held.numel() <= cache.ring


def test_recompute_mode_keeps_a_bounded_history(micro_config):
    model = Gato(dataclasses.replace(micro_config, context_length=32)).eval()
    agent = GatoAgent(model, spaces.Box(-1, 1, (2,), np.float32), spaces.Discrete(3), use_cache=False)
    for _ in range(100):
        agent.act(np.zeros(2, np.float32))
    assert agent._history[0].shape[1] <= 32


def test_acts_on_real_atari_frames(micro_config):
    import ale_py

    gym.register_envs(ale_py)
    env = gym.make("ALE/Breakout-v5")
    assert env.observation_space.shape == (210, 160, 3)
    agent = GatoAgent(Gato(micro_config), env.observation_space, env.action_space)
    actions, _ = run_episode(agent, env, seed=0, steps=10)
    assert all(env.action_space.contains(a) for a in actions)


def test_the_cnn_encoder_acts_on_stacked_atari_frames_as_recompute_does(micro_config):
    """One token per 4-frame stack: the cached agent and the recomputing one choose the same
    actions with the same logits, across a reset (the frame history restarts with the episode)."""
    import ale_py

    gym.register_envs(ale_py)
    config = dataclasses.replace(micro_config, image_encoder="cnn", image_height=80, image_width=64,
                                 image_channels=1, frame_stack=4)
    model = sharp_model(config)
    env = gym.make("ALE/Breakout-v5", repeat_action_probability=0.0)
    runs = []
    for use_cache in (True, False):
        agent = GatoAgent(model, env.observation_space, env.action_space, use_cache=use_cache)
        runs.append([run_episode(agent, env, seed=s, steps=12) for s in (0, 1)])
    for (a, la), (b, lb) in zip(*runs):
        assert np.array_equal(a, b) and all(env.action_space.contains(x) for x in a)
        assert all(torch.allclose(x[0], y[0], atol=1e-4, rtol=0) for x, y in zip(la, lb))
    logits = torch.stack([x[0] for _, la in runs[0] for x in la])  # the check above is not trivially true:
    assert float((logits - logits[0]).abs().max()) > 1e-2  # the logits move with the frames and the context


def test_acts_on_a_real_mujoco_env_batched(micro_config):
    envs = gym.make_vec("HalfCheetah-v5", num_envs=2, vectorization_mode="sync")
    agent = GatoAgent(Gato(micro_config), envs.single_observation_space, envs.single_action_space, num_envs=2)
    obs, _ = envs.reset(seed=0)
    for _ in range(5):
        actions = agent.act(obs)
        assert actions.shape == (2, 6) and all(envs.single_action_space.contains(a) for a in actions)
        obs, *_ = envs.step(actions)


OBSERVATION_SPACES = {
    "image_rgb": spaces.Box(0, 255, (50, 40, 3), np.uint8),
    "image_gray": spaces.Box(0, 255, (50, 40), np.uint8),
    "box_infinite": spaces.Box(-np.inf, np.inf, (2, 3), np.float64),
    "box_int": spaces.Box(-10, 10, (4,), np.int32),
    "discrete": spaces.Discrete(7, start=-3),
    "multidiscrete": spaces.MultiDiscrete([2, 5, 3]),
    "multibinary": spaces.MultiBinary([2, 2]),
    "dict_tuple": spaces.Dict({
        "pos": spaces.Box(-1, 1, (2,)), "flags": spaces.MultiBinary(3),
        "nested": spaces.Tuple((spaces.Discrete(4), spaces.Box(0, 255, (16, 16, 1), np.uint8))),
    }),
}
ACTION_SPACES = {
    "discrete": spaces.Discrete(5, start=2),
    "multidiscrete": spaces.MultiDiscrete([3, 4]),
    "box": spaces.Box(np.array([-1, 0, 5], np.float32), np.array([1, 2, 6], np.float32)),
}


@pytest.mark.parametrize("obs_name", OBSERVATION_SPACES)
@pytest.mark.parametrize("act_name", ACTION_SPACES)
def test_every_supported_space_acts_inside_the_action_space(obs_name, act_name, micro_config):
    obs_space, act_space = OBSERVATION_SPACES[obs_name], ACTION_SPACES[act_name]
    obs_space.seed(0)
    single = GatoAgent(sharp_model(micro_config), obs_space, act_space, temperature=1.0, seed=0)
    for _ in range(3):
        assert act_space.contains(single.act(obs_space.sample()))
    batch = GatoAgent(single.model, obs_space, act_space, num_envs=3)
    stacked = gym.vector.utils.batch_space(obs_space, 3)
    stacked.seed(1)
    actions = batch.act(stacked.sample())
    assert len(actions) == 3 and all(act_space.contains(a) for a in actions)


def test_sampling_is_seeded_and_greedy_is_default(micro_config):
    model = sharp_model(micro_config)
    obs_space, act_space = spaces.Box(-1, 1, (2,), np.float32), spaces.Discrete(10)
    obs = np.array([0.3, -0.2], np.float32)
    sample = lambda seed: [int(GatoAgent(model, obs_space, act_space, temperature=5.0, seed=seed).act(obs)) for _ in range(20)]
    assert sample(1) == sample(1)
    many = [int(GatoAgent(model, obs_space, act_space, temperature=50.0, seed=s).act(obs)) for s in range(30)]
    assert len(set(many)) > 1
    greedy = GatoAgent(model, obs_space, act_space)
    assert int(greedy.act(obs)) == int(greedy.last_logits[0].argmax())


def test_bad_arguments_are_explained(micro_config):
    model = Gato(micro_config)
    box = spaces.Box(-1, 1, (2,), np.float32)
    agent = GatoAgent(model, box, spaces.Discrete(2), num_envs=2)
    with pytest.raises(ValueError, match="num_envs=2 envs: pass a batch"):
        agent.act(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"env ids \[5\] out of range"):
        agent.reset([5])
    with pytest.raises(ValueError, match="more than the context"):
        GatoAgent(Gato(dataclasses.replace(micro_config, context_length=8)), spaces.Box(-1, 1, (10,)), spaces.Discrete(2))
    with pytest.raises(ValueError, match=r"got an empty batch of observations: pass one observation per env \(2\)"):
        agent.act(np.zeros((0, 2), np.float32))  # audit A4: it used to suggest num_envs=0
    prompt = {"observations": np.zeros((3, 2), np.float32), "actions": np.zeros(2, np.int64)}
    with pytest.raises(ValueError, match=r"max_prompt_tokens must be an integer >= 1 .*got -5"):
        GatoAgent(model, box, spaces.Discrete(2), prompt=prompt, max_prompt_tokens=-5)  # audit A20: a shape error


def test_a_compiled_decode_step_acts_as_the_eager_one(micro_config):
    model = sharp_model(micro_config, seed=3)
    obs_space, act_space = spaces.Box(-1, 1, (3,), np.float32), spaces.MultiDiscrete([4, 5, 3])
    rng = np.random.default_rng(0)
    observations = rng.uniform(-1, 1, (6, 2, 3)).astype(np.float32)
    eager = GatoAgent(model, obs_space, act_space, num_envs=2)
    compiled = GatoAgent(model, obs_space, act_space, num_envs=2, compile=True)
    for obs in observations:
        assert np.array_equal(eager.act(obs), compiled.act(obs))
        for a, b in zip(eager.last_logits, compiled.last_logits):
            assert torch.allclose(a, b, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="needs use_cache=True"):
        GatoAgent(model, obs_space, act_space, use_cache=False, compile=True)


def test_a_regression_model_acts_with_its_head_values(micro_config):
    model = sharp_model(dataclasses.replace(micro_config, continuous_actions="regression"), seed=2)
    env = gym.make("Reacher-v5", max_episode_steps=20)
    agent = GatoAgent(model, env.observation_space, env.action_space, temperature=1.0, seed=0)
    obs, _ = env.reset(seed=0)
    for _ in range(20):
        action = agent.act(obs)
        values = torch.stack(agent.last_values, -1)[0].numpy()  # (2,) on the bins' [-1, 1] scale
        assert agent.last_logits == [] and np.all(np.abs(values) <= 1.0)
        bins = micro_config.continuous_bins
        centre = (np.floor((values + 1) * bins / 2).clip(0, bins - 1) + 0.5) * 2 / bins - 1  # the value's bin
        low, high = env.action_space.low, env.action_space.high
        np.testing.assert_allclose(action, low + (centre + 1) / 2 * (high - low), atol=1e-6)
        obs, *_ = env.step(action)
    plain = GatoAgent(model, env.observation_space, env.action_space, use_cache=False)
    cached = GatoAgent(model, env.observation_space, env.action_space)
    env = gym.make("Reacher-v5", max_episode_steps=15)  # 13 tokens a step: the episode fits in 256
    actions, _ = run_episode(cached, env, seed=1)
    assert len(np.unique(actions)) > 5 and np.array_equal(actions, run_episode(plain, env, seed=1)[0])


def assert_logits_of_windows(model, agent, env, actions, logit_sets, steps, prompt=None):
    """Each step's logits in each of `logit_sets` are those of the model run afresh on the prompt
    (a TokenBatch, or None) followed by the episode's last `steps` timesteps, positions from 0."""
    observations, obs = [], env.reset(seed=0)[0]
    for action in actions:
        observations.append(obs)
        obs, *_ = env.step(action)
    n_obs = agent.timestep.n_obs
    for t in range(len(actions)):
        first = max(0, t + 1 - steps)
        tokens = agent.timestep.episode(np.stack(observations[first : t + 1]), actions[first : t + 1])  # (1, k * 13)
        tokens = tokens if prompt is None else TokenBatch.cat([prompt, tokens])
        hidden = model(tokens)[0]  # (L, D)
        before = hidden[tokens.shape[1] - agent.step_tokens + n_obs :][:2]  # at the separator and at action dim 0
        for d, (lo, hi) in enumerate(agent.act_codec.ranges):
            expected = model.logits(before[d], lo, hi)
            for logits in logit_sets:
                assert torch.allclose(logits[t][d][0], expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("steps", [1, 3])
def test_an_agent_with_context_steps_acts_on_its_last_whole_timesteps_alone(micro_config, steps):
    """Each step's logits are those of the model run afresh on the episode's last `steps` timesteps
    (positions from 0, as training windows are), with the cache and without it."""
    model = sharp_model(micro_config, seed=3)
    env = gym.make("Reacher-v5", max_episode_steps=12)  # 10 observation + 1 separator + 2 action tokens a step
    make = lambda cache: GatoAgent(model, env.observation_space, env.action_space, use_cache=cache, context_steps=steps)
    agent = make(True)
    cached, cached_logits = run_episode(agent, env, seed=0)
    plain, plain_logits = run_episode(make(False), env, seed=0)
    full, _ = run_episode(GatoAgent(model, env.observation_space, env.action_space), env, seed=0)
    assert np.array_equal(cached, plain) and not np.array_equal(cached, full)
    assert np.array_equal(run_episode(agent, env, seed=0)[0], cached)  # a second episode starts afresh
    assert_logits_of_windows(model, agent, env, cached, [cached_logits, plain_logits], steps)


@pytest.mark.parametrize("steps", [1, 3])
def test_a_prompted_agent_with_context_steps_acts_on_the_prompt_and_its_last_timesteps(micro_config, steps):
    """Each step's logits are those of the model run afresh on the prompt followed by the episode's
    last `steps` timesteps (what gato-train --window-prompts trains), with the cache and without it."""
    model = sharp_model(micro_config, seed=4)
    env = gym.make("Reacher-v5", max_episode_steps=12)  # 13 tokens a step
    demo_env = gym.make("Reacher-v5", max_episode_steps=5)
    obs, _ = demo_env.reset(seed=9)
    demo_obs, demo_actions = [obs], []
    for _ in range(5):
        demo_actions.append(demo_env.action_space.sample())
        demo_obs.append(demo_env.step(demo_actions[-1])[0])
    prompt = {"observations": np.stack(demo_obs[:5]), "actions": np.stack(demo_actions)}
    make = lambda cache, p=prompt: GatoAgent(model, env.observation_space, env.action_space, use_cache=cache,
                                             context_steps=steps, prompt=p)
    agent = make(True)
    cached, cached_logits = run_episode(agent, env, seed=0)
    plain, plain_logits = run_episode(make(False), env, seed=0)
    unprompted, _ = run_episode(make(True, None), env, seed=0)
    assert np.array_equal(cached, plain) and not np.array_equal(cached, unprompted)
    assert np.array_equal(run_episode(agent, env, seed=0)[0], cached)  # a second episode starts afresh
    prompt_tokens = agent.timestep.episode(prompt["observations"], prompt["actions"])  # (1, 5 * 13)
    assert_logits_of_windows(model, agent, env, cached, [cached_logits, plain_logits], steps, prompt_tokens)


def test_context_steps_are_checked(micro_config):
    model = Gato(micro_config)
    box = spaces.Box(-1, 1, (2,), np.float32)
    with pytest.raises(ValueError, match=r"context_steps must be an integer >= 1 \(None: the whole context\), got 0"):
        GatoAgent(model, box, spaces.Discrete(2), context_steps=0)
    with pytest.raises(ValueError, match="do not fit in the context of 256: at most 64"):
        GatoAgent(model, box, spaces.Discrete(2), context_steps=65)  # 4 tokens a step
    prompt = {"observations": np.zeros((40, 2), np.float32), "actions": np.zeros(40, np.int64)}  # 160 tokens
    with pytest.raises(ValueError, match="a prompt of 128 tokens and context_steps=33 timesteps of 4 tokens do not fit "
                                         "in the context of 256: pass a smaller max_prompt_tokens"):
        GatoAgent(model, box, spaces.Discrete(2), prompt=prompt, context_steps=33)  # the prompt's default: half the context
    assert GatoAgent(model, box, spaces.Discrete(2), prompt=prompt, context_steps=32).prompt.shape == (1, 128)
    with pytest.raises(ValueError, match="context_steps=2 recomputes its timesteps at every step"):
        GatoAgent(model, box, spaces.Discrete(2), context_steps=2, compile=True)
    assert GatoAgent(model, box, spaces.Discrete(2), context_steps=1).cache is not None  # one timestep: cached, exactly
