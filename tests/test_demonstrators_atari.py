"""The RAM-scripted Atari demonstrators: RAM addresses checked against the screen, and play."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.demonstrators.atari import (
    BowlingDemonstrator,
    BoxingDemonstrator,
    BreakoutDemonstrator,
    FreewayDemonstrator,
    PongDemonstrator,
    _reflect,
)


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


def play(demo_cls, seed: int, steps: int) -> tuple[int, int]:
    """(points won, points lost) in the first ``steps`` steps of a sticky-action game."""
    env = envs.make(demo_cls.task_id, max_episode_steps=steps)
    demo = demo_cls()
    obs, _ = env.reset(seed=seed)
    demo.reset(env)
    won = lost = 0
    while True:
        obs, reward, terminated, truncated, _ = env.step(demo.act(obs, env))
        won, lost = won + (reward > 0) * int(reward), lost + (reward < 0)
        if terminated or truncated:
            return won, lost


def test_breakout_scores_under_sticky_actions():
    assert play(BreakoutDemonstrator, seed=3, steps=1500)[0] >= 60  # random: about 2 per game


def test_pong_wins_more_points_than_it_loses():
    # Rallies can be long (the built-in player returns straight balls), so sum over 3 games.
    points = [play(PongDemonstrator, seed, steps=2000) for seed in range(3)]
    won, lost = sum(p[0] for p in points), sum(p[1] for p in points)
    assert won >= 5 and won >= 3 * lost, points  # random loses about 1 point per 50 steps


def test_boxing_ram_follows_the_joystick():
    """ram[32], ram[34]: player x, y; RIGHT/DOWN (3/5) move it right/down, the opponent's do not."""
    env = envs.make("ALE/Boxing-v5", repeat_action_probability=0.0)
    env.reset(seed=0)
    ram = env.unwrapped.ale.getRAM
    x0, y0 = int(ram()[32]), int(ram()[34])
    for _ in range(5):
        env.step(3)  # RIGHT
    assert int(ram()[32]) > x0 + 10 and int(ram()[34]) == y0
    x1 = int(ram()[32])
    for _ in range(5):
        env.step(5)  # DOWN
    assert int(ram()[34]) > y0 + 10 and abs(int(ram()[32]) - x1) <= 2  # a bump may shift x


def test_boxing_outscores_the_opponent():
    won, lost = play(BoxingDemonstrator, seed=0, steps=600)  # random: about even, 0.1 a game
    assert won >= 30 and won >= 3 * lost, (won, lost)


def test_freeway_ram_is_the_chicken_height():
    """ram[14] is 6 on the kerb and rises by 4 per UP step."""
    env = envs.make("ALE/Freeway-v5", repeat_action_probability=0.0)
    env.reset(seed=0)
    assert int(env.unwrapped.ale.getRAM()[14]) == 6
    env.step(1)
    env.step(1)
    assert int(env.unwrapped.ale.getRAM()[14]) == 14


def test_freeway_crosses_faster_than_always_up():
    # Always UP is hit and pushed back: about 5 crossings in 512 steps (21 a game).
    assert play(FreewayDemonstrator, seed=0, steps=512)[0] >= 7


def test_bowling_ram_is_the_bowler_and_the_ball():
    """ram[29] = 8 while the bowler waits, ram[40] +1 per UP step, ram[30] grows as the ball rolls."""
    env = envs.make("ALE/Bowling-v5", repeat_action_probability=0.0)
    env.reset(seed=0)
    ram = env.unwrapped.ale.getRAM
    assert int(ram()[29]) == 8
    env.step(BowlingDemonstrator.UP)  # the first press may land before the game reads it
    y0 = int(ram()[40])
    for _ in range(3):
        env.step(BowlingDemonstrator.UP)
    assert int(ram()[40]) == y0 + 3
    env.step(BowlingDemonstrator.FIRE)
    xs = []
    for _ in range(30):
        env.step(BowlingDemonstrator.NOOP)
        xs.append(int(ram()[30]))
    assert int(ram()[29]) != 8 and xs[-1] > xs[0] + 20  # the bowler walked, the ball rolls


def test_bowling_strikes_early():
    # Random play scores about 23 in a whole 10-frame game.
    assert play(BowlingDemonstrator, seed=0, steps=600)[0] >= 60


def test_non_atari_env_is_refused():
    env = envs.make("InvertedPendulum-v5")
    obs, _ = env.reset(seed=0)
    with pytest.raises(TypeError, match="need an ale-py env"):
        BreakoutDemonstrator().act(obs, env)
