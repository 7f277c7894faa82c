"""Scripted Atari demonstrators that read the game state from the console's RAM.

RAM addresses are those of the AtariARI annotations (Anand et al. 2019, "Unsupervised State
Representation Learning in Atari", ``atariari/benchmark/ram_annotations.py``) and were checked
against the rendered frames of ale-py 0.12:

Breakout (minimal actions NOOP, FIRE, RIGHT, LEFT)
    ``ram[99]`` ball x, ``ram[101]`` ball y (0 while no ball is in play), ``ram[72]`` paddle x.
    Screen pixels: ball centre x = ``ram[99] - 48.5``, paddle centre x = ``ram[72] - 39.5``, so
    the paddle is centred under the ball at ``ram[72] = ram[99] - 9``; the ball meets the paddle
    at ``ram[101]`` of about 178 and bounces off the side walls at ``ram[99]`` 56 and 199.
Pong (minimal actions NOOP, FIRE, RIGHT=up, LEFT=down, RIGHTFIRE, LEFTFIRE)
    ``ram[49]`` ball x, ``ram[54]`` ball y, ``ram[51]`` player (right, green) paddle y.

Both controllers predict where the ball will cross the paddle's line from its last two positions
(reflecting off the walls) and steer the paddle there with a dead zone. Both games read an
emulated paddle controller that keeps moving for a step or two after a press; the controllers add
that travel still to come before deciding, which stops the paddle oscillating around its target
and keeps them steady under the v5 sticky actions (each frame repeats the previous action with
probability 0.25). Dead zones and lags were tuned on a few seeds with sticky actions on.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from envs.demonstrators.base import Demonstrator


def _ram(env: gym.Env) -> np.ndarray:
    """The 128-byte RAM of the ALE emulator under ``env``'s wrappers."""
    unwrapped = env.unwrapped
    if not hasattr(unwrapped, "ale"):
        raise TypeError(f"the Atari demonstrators need an ale-py env, got {type(unwrapped).__name__}")
    return unwrapped.ale.getRAM()


def _reflect(x: float, low: float, high: float) -> float:
    """Fold ``x`` into ``[low, high]`` as a ball bouncing between two walls would."""
    span = high - low
    y = (x - low) % (2 * span)
    return low + (y if y <= span else 2 * span - y)


class _Tracker(Demonstrator):
    """Shared machinery: the ball's velocity from its last two positions.

    One axis runs between two walls (``WALLS`` = (axis, low, high)). Across a bounce off them the
    raw difference of positions understates the speed; a wall only flips the velocity along its
    axis, so the previous velocity is carried over, flipped.
    """

    WALLS: tuple[int, int, int]  # (axis 0 = x or 1 = y, low wall, high wall) in RAM units

    def reset(self, env: gym.Env) -> None:
        self._prev: tuple[int, int] | None = None
        self._v: tuple[int, int] | None = None

    def _velocity(self, x: int, y: int) -> tuple[int, int] | None:
        prev, self._prev = self._prev, (x, y)
        if prev is None:
            self._v = None
            return None
        v = [x - prev[0], y - prev[1]]
        axis, low, high = self.WALLS
        if self._v is not None and not low < prev[axis] + self._v[axis] < high:
            v[axis] = -self._v[axis]
        self._v = (v[0], v[1])
        return self._v


class BreakoutDemonstrator(_Tracker):
    """Keeps the paddle under the predicted landing point of the ball; FIRE when no ball is out.

    The paddle shrinks from 16 to 12 pixels (keeping its left edge) once the ball reaches the top
    wall; its width is read from the screen row it is drawn on, and the aim follows its centre.
    """

    task_id = "ALE/Breakout-v5"
    NOOP, FIRE, RIGHT, LEFT = 0, 1, 2, 3
    PADDLE_Y = 178  # ball y (RAM units) at which it meets the paddle
    PADDLE_ROW = 190  # screen row on which the paddle is drawn
    WALL_LEFT, WALL_RIGHT = 56, 199  # ball x (RAM units) at which it bounces off the side walls
    WALLS = (0, WALL_LEFT, WALL_RIGHT)
    # ram[99] - ram[72] with the paddle centred under the ball: (left edge + width / 2) - 1.5
    CENTRE = {16: 9, 12: 7}
    DEAD_ZONE = {16: 8, 12: 6}  # do nothing when the paddle is this close to its target
    LAG_MOVE = 8  # paddle travel (RAM units) still due from the previous step's RIGHT/LEFT

    def reset(self, env: gym.Env) -> None:
        super().reset(env)
        self._last = self.NOOP
        self._width = 16

    def _paddle_width(self, obs: np.ndarray) -> int:
        """16 or 12; the last width seen while the paddle was clear of the walls."""
        cols = np.flatnonzero(obs[self.PADDLE_ROW, 8:152].any(axis=1))
        if len(cols) and cols[0] > 0 and cols[-1] < 143:  # not clipped by a wall
            self._width = 16 if len(cols) > 14 else 12
        return self._width

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        ram = _ram(env)
        bx, by, paddle = int(ram[99]), int(ram[101]), int(ram[72])
        width = self._paddle_width(obs)
        if by == 0:  # no ball in play: launch one
            self._prev = None
            self._last = self.FIRE
            return self.FIRE
        v = self._velocity(bx, by)
        target = float(bx)
        if v is not None and v[1] > 0 and by < self.PADDLE_Y:
            steps = (self.PADDLE_Y - by) / v[1]
            target = _reflect(bx + v[0] * steps, self.WALL_LEFT, self.WALL_RIGHT)
        # The paddle is read with a lag: part of the previous action's move is still to come.
        coming = {self.RIGHT: self.LAG_MOVE, self.LEFT: -self.LAG_MOVE}.get(self._last, 0)
        diff = target - self.CENTRE[width] - (paddle + coming)
        action = self.NOOP
        if diff > self.DEAD_ZONE[width]:
            action = self.RIGHT
        elif diff < -self.DEAD_ZONE[width]:
            action = self.LEFT
        self._last = action
        return action


class PongDemonstrator(_Tracker):
    """Moves the right paddle to where the ball will cross its line; FIRE is never needed.

    Returned dead centre, the ball can go back and forth for the whole 27,000-step game without a
    point; from the third return of a rally on, the paddle meets the ball off-centre (on the side
    it is travelling towards), which changes the angle and breaks such loops.
    """

    task_id = "ALE/Pong-v5"
    NOOP, UP, DOWN = 0, 2, 3  # RIGHT moves the paddle up, LEFT moves it down
    PADDLE_X = 187  # ball x (RAM units) at which it meets the player's paddle
    HIT_X = 150  # a ball turning back beyond this x (RAM units) was returned by the player
    WALL_TOP, WALL_BOTTOM = 46, 205  # ball y (RAM units) at which it bounces off the walls
    WALLS = (1, WALL_TOP, WALL_BOTTOM)
    CENTRE = 6  # ram[54] - ram[51] when the paddle is centred on the ball
    OFF_CENTRE = 8  # how far off centre (RAM units) to meet the ball in a long rally
    LONG_RALLY = 2  # returns in a rally after which the ball is met off-centre
    DEAD_ZONE = 8  # do nothing when the paddle is this close to its target (RAM units)
    LAG_MOVE = 12  # paddle travel still due from the previous step's UP/DOWN (RAM units)
    LAG_MOVE_2 = 2  # paddle travel still due from the UP/DOWN of two steps ago (RAM units)

    def reset(self, env: gym.Env) -> None:
        super().reset(env)
        self._last = self._last2 = self.NOOP
        self._returns = 0  # the player's returns in the current rally

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        ram = _ram(env)
        bx, by, paddle = int(ram[49]), int(ram[54]), int(ram[51])
        if by == 0:  # no ball in play: wait in the middle
            self._prev, self._v, self._returns = None, None, 0
            target = (self.WALL_TOP + self.WALL_BOTTOM) / 2
        else:
            previous = self._v
            v = self._velocity(bx, by)
            target = float(by)
            if v is not None and previous is not None and previous[0] > 0 > v[0] \
                    and bx > self.HIT_X:
                self._returns += 1
            if v is not None and v[0] > 0 and bx < self.PADDLE_X:
                steps = (self.PADDLE_X - bx) / v[0]
                target = _reflect(by + v[1] * steps, self.WALL_TOP, self.WALL_BOTTOM)
                if self._returns >= self.LONG_RALLY:
                    target += self.OFF_CENTRE if v[1] > 0 else -self.OFF_CENTRE
        # The paddle keeps moving for two steps after a press (ALE's emulated paddle lags).
        sign = {self.UP: -1, self.DOWN: 1, self.NOOP: 0}
        coming = self.LAG_MOVE * sign[self._last] + self.LAG_MOVE_2 * sign[self._last2]
        diff = target - self.CENTRE - (paddle + coming)
        action = self.NOOP
        if diff > self.DEAD_ZONE:
            action = self.DOWN
        elif diff < -self.DEAD_ZONE:
            action = self.UP
        self._last2, self._last = self._last, action
        return action
