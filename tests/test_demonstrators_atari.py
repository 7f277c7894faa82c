"""The RAM-scripted Atari demonstrators: RAM addresses checked against the screen, and play."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.demonstrators.atari import BreakoutDemonstrator, PongDemonstrator, _reflect


def test_reflect_folds_like_a_bouncing_ball():
    assert _reflect(5.0, 0.0, 10.0) == 5.0
    assert _reflect(12.0, 0.0, 10.0) == 8.0
    assert _reflect(-3.0, 0.0, 10.0) == 3.0
    assert _reflect(23.0, 0.0, 10.0) == 3.0


def _ball_columns(frame: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    return np.where(frame[rows, cols].any(axis=2).any(axis=0))[0] + cols.start


def test_breakout_ram_matches_the_screen():
    """Paddle centre x = ram[72] - 39.5 and ball centre x = ram[99] - 48.5 (screen pixels)."""
    env = envs.make("ALE/Breakout-v5", repeat_action_probability=0.0)
    demo = BreakoutDemonstrator()
    obs, _ = env.reset(seed=0)
    demo.reset(env)
    checked = 0
    for _ in range(300):
        obs, *_ = env.step(demo.act(obs, env))
        ram = env.unwrapped.ale.getRAM()
        paddle = _ball_columns(obs, slice(190, 193), slice(8, 152))
        if len(paddle) == 16:  # paddle fully inside the walls
            assert paddle.mean() == pytest.approx(int(ram[72]) - 39.5, abs=0.5)
            checked += 1
        ball_y = int(ram[101])
        if 90 < ball_y < 170:  # ball below the bricks and above the paddle: only it is drawn
            ball = _ball_columns(obs, slice(ball_y + 8, ball_y + 14), slice(8, 152))
            if len(ball):
                assert ball.mean() == pytest.approx(int(ram[99]) - 48.5, abs=0.5)
                checked += 1
    assert checked > 100


def test_pong_ram_matches_the_screen():
    """The right paddle spans screen rows ram[51]-14 .. ram[51]+1 (in its column 140-143).

    The screen can lag the RAM by a row while the paddle moves.
    """
    env = envs.make("ALE/Pong-v5", repeat_action_probability=0.0)
    demo = PongDemonstrator()
    obs, _ = env.reset(seed=0)
    demo.reset(env)
    checked = 0
    for _ in range(300):
        obs, *_ = env.step(demo.act(obs, env))
        ram = env.unwrapped.ale.getRAM()
        green = (obs[34:194, 140:144, 0] == 92) & (obs[34:194, 140:144, 1] == 186)
        rows = np.where(green.any(axis=1))[0] + 34
        if len(rows) == 16:  # the whole paddle is on the field
            assert abs(rows.min() - (int(ram[51]) - 14)) <= 1
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("demo_cls, steps, at_least", [(BreakoutDemonstrator, 1500, 60.0),
                                                        (PongDemonstrator, 2000, 3.0)])
def test_scores_under_sticky_actions(demo_cls, steps, at_least):
    env = envs.make(demo_cls.task_id, max_episode_steps=steps)
    demo = demo_cls()
    obs, _ = env.reset(seed=3)
    demo.reset(env)
    total = 0.0
    while True:
        obs, reward, terminated, truncated, _ = env.step(demo.act(obs, env))
        total += float(reward)
        if terminated or truncated:
            break
    assert total >= at_least


def test_non_atari_env_is_refused():
    env = envs.make("InvertedPendulum-v5")
    obs, _ = env.reset(seed=0)
    with pytest.raises(TypeError, match="need an ale-py env"):
        BreakoutDemonstrator().act(obs, env)
