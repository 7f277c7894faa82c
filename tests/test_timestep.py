"""One timestep's token layout [2.1, 2.2] and the one frame stacker, which acting, training data,
prompts and the benchmarks all use."""

import dataclasses

import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent
from gato_agent.images import encoder_input
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.timestep import FrameStacker, Timestep

IMAGE = spaces.Box(0, 255, (40, 30, 3), np.uint8)


def layout(space, action, config):
    return Timestep(ObservationCodec(space, config), ActionCodec(action, config))


def frames_of(values):
    """(T, n_img=2, C=1, H=2, W=2) frames whose pixels are the step's value (second image: + 100)."""
    v = torch.tensor(values, dtype=torch.uint8).reshape(-1, 1, 1, 1, 1)
    return torch.cat([v, v + 100], 1).expand(-1, 2, 1, 2, 2).contiguous()


def test_stacks_are_oldest_first_and_repeat_an_episodes_first_frame():
    frames = frames_of(range(5))
    stacked = FrameStacker(3).sequence(frames, 0, 5)  # (5, n_img, 3, H, W)
    assert stacked.shape == (5, 2, 3, 2, 2)
    assert stacked[:, 0, :, 0, 0].tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert stacked[:, 1, :, 0, 0].tolist() == [[100, 100, 100], [100, 100, 101], [100, 101, 102], [101, 102, 103], [102, 103, 104]]
    assert torch.equal(FrameStacker(3).sequence(frames, 3, 5), stacked[3:])  # a window sees the frames before it
    assert torch.equal(FrameStacker(1).sequence(frames, 0, 5), frames)


def test_live_stacks_are_the_recorded_ones_and_a_reset_starts_over():
    """Two envs stepping live: env 0 runs one episode of 6 frames; env 1 starts a new episode at
    step 3. Each step's live stack is the recorded episode's stack of that step."""
    k, stacker = 3, FrameStacker(3)
    env0, env1 = frames_of(range(6)), frames_of([50, 51, 52, 60, 61, 62])
    live = []
    for t in range(6):
        new = [0, 1] if t == 0 else [1] if t == 3 else []
        live.append(stacker.push(torch.stack([env0[t], env1[t]]), new))
    live = torch.stack(live)  # (T, B, n_img, k * C, H, W)
    assert torch.equal(live[:, 0], FrameStacker(k).sequence(env0, 0, 6))
    assert torch.equal(live[:3, 1], FrameStacker(k).sequence(env1[:3], 0, 3))
    assert torch.equal(live[3:, 1], FrameStacker(k).sequence(env1[3:], 0, 3))  # nothing of the old episode
    assert live[3, 1, 0, :, 0, 0].tolist() == [60, 60, 60]


def test_gather_stops_at_each_samples_episode_start():
    frames = frames_of([0, 1, 2, 10, 11])[:, 0]  # two episodes laid end to end: steps 0-2 and 3-4, (N, C, H, W)
    first = torch.tensor([0, 0, 3, 3])
    stacks = FrameStacker(3).gather(frames, torch.tensor([0, 2, 3, 4]), first)  # (4, 3, H, W)
    assert stacks[:, :, 0, 0].tolist() == [[0, 0, 0], [0, 1, 2], [10, 10, 10], [10, 10, 11]]


def test_the_layout_of_a_timestep(micro_config):
    """[text | image tokens | other values (Dict by sorted key)] [separator] [actions]; local
    positions 1.. on observation tokens only; each action token's legal ids."""
    space = spaces.Dict({"z": spaces.Discrete(5), "a": spaces.Box(-1, 1, (2,)), "cam": IMAGE})
    step = layout(space, spaces.Box(-1, 1, (2,)), micro_config)
    n_obs = 4 + 2 + 1  # 4 patches of a 32x32 frame, a[0], a[1], z
    assert (step.n_obs, step.n_act, step.size) == (n_obs, 2, n_obs + 3)
    assert step.local_pos.tolist() == [1, 2, 3, 4, 5, 6, 7, 0, 0, 0]
    assert step.patch_mask.tolist() == [True] * 4 + [False] * 6
    assert step.is_action.tolist() == [False] * 8 + [True] * 2
    bins = (micro_config.continuous_offset, micro_config.continuous_offset + micro_config.continuous_bins)
    assert list(zip(step.lo.tolist(), step.hi.tolist()))[-2:] == [bins, bins] and step.hi[:8].eq(0).all()
    obs = {"z": np.array([3, 4]), "a": np.zeros((2, 2), np.float32), "cam": np.zeros((2, 40, 30, 3), np.uint8)}
    ids, frames = step.encode_episode(obs, np.zeros((2, 2), np.float32), 2)
    assert ids.shape == (2, step.size) and frames.shape == (2, 1, 3, 32, 32)
    assert (ids[:, 7] == micro_config.separator_id).all() and ids[:, 6].tolist() == [3, 4]


def test_acting_and_recorded_tokens_share_the_layout(micro_config):
    config = dataclasses.replace(micro_config, image_channels=1, frame_stack=2)
    step = layout(IMAGE, spaces.Discrete(4), config)
    frames = np.random.default_rng(0).integers(0, 256, (3, 40, 30, 3), dtype=np.uint8)
    episode = step.episode(frames, np.array([0, 1, 2]))  # (1, 3 * size)
    assert episode.shape == (1, 3 * step.size) and episode.patches.shape == (3 * 4, 2, 16, 16)
    assert episode.local_pos[0].tolist() == step.local_pos.tolist() * 3
    ids, images = step.obs_codec.tokenize(frames, 3)
    stacker = step.stacker()
    live = [step.step_input(torch.tensor([9]), ids[t : t + 1], stacker.push(images[t : t + 1], [0] if t == 0 else [])) for t in range(3)]
    assert live[1].ids[0].tolist() == [9, *episode.ids[0, step.size : step.size + step.n_obs].tolist(), config.separator_id]
    assert live[0].local_pos[0].tolist() == [0, 1, 2, 3, 4, 0] and live[0].patch_mask[0].tolist() == [False] + [True] * 4 + [False]
    assert torch.equal(torch.cat([x.patches for x in live]), episode.patches)  # the same stacks, the same encoder input
    first = step.encode(frames[2:], 1)  # a first observation: its frame fills the stack
    assert torch.equal(first.patches, encoder_input(torch.from_numpy(np.repeat(images[2:3].numpy(), 2, axis=2)), config))


def test_the_agent_acts_on_the_stacks_training_reads(make_dataset, micro_config):
    """A training window's image tokens are the ones the acting agent builds from the same episode."""
    import ale_py
    import gymnasium as gym

    from gato_agent.data import load_task, open_minari

    gym.register_envs(ale_py)
    config = dataclasses.replace(micro_config, image_channels=1, frame_stack=3)
    path = make_dataset("ALE/Breakout-v5", lambda obs: 1, episodes=1, max_steps=10)
    task = load_task(path, config)
    window = task._tokens([(task.episodes[0], 0, 10)], 10 * task.step_tokens)[0]
    agent = GatoAgent(Gato(config), task.obs_codec.space, task.act_codec.space)
    seen = []
    agent.model.embed = lambda tokens: seen.append(tokens.patches.clone()) or Gato.embed(agent.model, tokens)
    for obs in next(open_minari(path).iterate_episodes()).observations[:10]:
        agent.act(obs)
    assert torch.equal(torch.cat(seen), window.patches)
    assert not torch.equal(window.patches[:4], window.patches[36:])  # the frames do change


@pytest.mark.parametrize("k", [1, 4])
def test_one_stacker_at_every_depth(k):
    frames = frames_of(range(4))
    stacker = FrameStacker(k)
    live = torch.stack([stacker.push(frames[t : t + 1], [0] if t == 0 else [])[0] for t in range(4)])
    assert torch.equal(live, FrameStacker(k).sequence(frames, 0, 4))
