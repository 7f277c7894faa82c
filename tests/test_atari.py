"""The Atari protocol, checked on the real emulator."""

import numpy as np

import envs
from envs import atari


def test_protocol_constants_reach_the_emulator():
    env = envs.make("ALE/Breakout-v5")
    ale = env.unwrapped.ale
    assert env.task_spec.family == "atari"
    assert env.task_spec.make_kwargs == atari.PROTOCOL_KWARGS
    assert env.unwrapped._frameskip == atari.FRAMESKIP == 4
    assert ale.getFloat("repeat_action_probability") == atari.REPEAT_ACTION_PROBABILITY == 0.25
    assert ale.getInt("max_num_frames_per_episode") == atari.MAX_NUM_FRAMES_PER_EPISODE == 108_000
    assert env.action_space.n == 4  # Breakout's minimal action set, not 18
    assert env.observation_space.shape == (210, 160, 3) and env.observation_space.dtype == np.uint8
    env.close()


def test_full_game_score_and_no_termination_on_life_loss():
    env = envs.make("ALE/Breakout-v5", seed=0)
    obs, info = env.reset(seed=0)
    assert obs.shape == (210, 160, 3)
    lives, total, life_lost_without_end = info["lives"], 0.0, False
    terminated = truncated = False
    while not (terminated or truncated):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        total += reward
        if info["lives"] < lives and info["lives"] > 0:
            life_lost_without_end = life_lost_without_end or not terminated
        lives = info["lives"]
    assert life_lost_without_end  # losing a life did not end the episode
    assert terminated and info["lives"] == 0  # game over did
    assert info["episode"]["r"] == total  # RecordEpisodeStatistics sees the raw game score
    env.close()


def test_max_episode_steps_caps_and_render_gives_the_screen():
    env = envs.make("ALE/Pong-v5", seed=1, render=True, max_episode_steps=10)
    env.reset(seed=1)
    for step in range(1, 11):
        obs, _, terminated, truncated, info = env.step(0)
    assert truncated and not terminated and info["episode"]["l"] == 10
    frame = env.render()
    assert frame.shape == (210, 160, 3) and np.array_equal(frame, obs)
    env.close()


def test_every_ale_v5_id_is_an_atari_task():
    ids = atari.atari_ids()
    assert len(ids) > 50 and "ALE/Breakout-v5" in ids
    assert all(envs.task_family(i) == "atari" for i in ids)
