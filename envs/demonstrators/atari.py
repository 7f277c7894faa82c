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

Boxing (full 18-action set)
    ``ram[32]``, ``ram[34]`` player (white) x, y; ``ram[33]``, ``ram[35]`` opponent x, y. The
    boxers touch at ``|x difference| = 14``; a punch lands when the opponent is 7-12 RAM units
    below the player (the reach of one arm), not when the heads are level.
Freeway (minimal actions NOOP, UP, DOWN)
    ``ram[14]`` chicken y (6 on the kerb, +4 per UP step, a point at the far side),
    ``ram[108 + k]`` x of the car in lane ``k`` (0 = bottom; lanes 0-4 drive right, 5-9 left,
    wrapping at 160). The chicken is in lane ``k`` for y in ``[7 + 16k, 23 + 16k)`` and is hit
    by a car at x in about ``[40, 54]``. Lanes and hit zone were read off the collisions of
    random play (the chicken is pushed back down when hit).
Bowling (minimal actions NOOP, FIRE, UP, DOWN)
    ``ram[29]``, ``ram[40]`` bowler x, y (x is 8 while the bowler waits for a throw; y starts at
    1, +1 per UP step); ``ram[30]`` ball x (2 per step as it rolls); ``ram[57:67]`` one byte per
    pin, 255 once knocked down.
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


# The full 18-action Atari set, in ALE order, as (vertical, horizontal, fire) with -1 = up/left.
_FULL_ACTIONS = [
    (0, 0, False), (0, 0, True), (-1, 0, False), (0, 1, False), (0, -1, False), (1, 0, False),
    (-1, 1, False), (-1, -1, False), (1, 1, False), (1, -1, False), (-1, 0, True), (0, 1, True),
    (0, -1, True), (1, 0, True), (-1, 1, True), (-1, -1, True), (1, 1, True), (1, -1, True),
]


def _full_action(vertical: int, horizontal: int, fire: bool) -> int:
    """The index in the full action set of a joystick direction (-1, 0, 1 each) and button."""
    return _FULL_ACTIONS.index((vertical, horizontal, fire))


def _toward(diff: int, dead_zone: int) -> int:
    """-1, 0 or 1: the joystick direction that reduces ``diff`` (0 inside the dead zone)."""
    return 0 if abs(diff) <= dead_zone else (1 if diff > 0 else -1)


class BoxingDemonstrator(Demonstrator):
    """Stands beside the opponent with it one arm's reach lower, and punches when lined up.

    From there the player's punches land and most of the opponent's miss: a knockout (100
    points) usually comes before the two-minute bell. The opponent keeps moving, so the player
    re-aims every step; sticky actions only delay that by a frame or two. The offsets were
    picked on seeds 100-115 (mean 68 per bout at REACH_Y 9, 70 at 8, 58 at 10, 49 at 7, 0 at 6).
    """

    task_id = "ALE/Boxing-v5"
    REACH_Y = 9  # opponent y - player y (RAM units) at which punches land
    CONTACT_X = 14  # |opponent x - player x| (RAM units) with the boxers touching
    DEAD_ZONE = 1  # do not move along an axis when this close to the target (RAM units)
    PUNCH_Y = 4  # punch when the vertical offset is within this of REACH_Y (RAM units)
    PUNCH_X = 20  # punch when the boxers are at most this far apart in x (RAM units)

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        ram = _ram(env)
        px, py, ex, ey = int(ram[32]), int(ram[34]), int(ram[33]), int(ram[35])
        dx, dy = ex - px, ey - py - self.REACH_Y
        side = 1 if dx > 0 else -1  # where the opponent is
        vertical = _toward(dy, self.DEAD_ZONE)
        horizontal = side * _toward(abs(dx) - self.CONTACT_X, self.DEAD_ZONE)
        fire = abs(dy) <= self.PUNCH_Y and abs(dx) <= self.PUNCH_X
        return _full_action(vertical, horizontal, fire)


class FreewayDemonstrator(Demonstrator):
    """Crosses when the lanes ahead stay clear; waits, or steps back, when a car is coming.

    Each car's speed is its average over the last few steps (cars keep their speed within a
    lane). Before each step the controller predicts, for the next ``HORIZON`` steps, which lane
    the chicken would be in going up and where that lane's car would be; it goes UP if no car
    reaches the chicken's column, else stays (NOOP) if its own lane stays clear, else backs off.
    """

    task_id = "ALE/Freeway-v5"
    NOOP, UP, DOWN = 0, 1, 2
    STEP_Y = 4  # chicken y gained per UP step (RAM units)
    LANE_Y0, LANE_HEIGHT, LANES = 7, 16, 10  # lane k spans y in [LANE_Y0 + k * LANE_HEIGHT, +16)
    HIT_X = (40, 54)  # car x (RAM units) at which it hits the chicken, inclusive
    WIDTH = 160  # car x wraps around at this value
    HORIZON = 3  # steps ahead checked for a collision
    SPEED_STEPS = 4  # steps over which car speeds are averaged

    def reset(self, env: gym.Env) -> None:
        self._history: list[np.ndarray] = []  # car x per lane (10,) of the last steps

    def _clear(self, y: int, cars: np.ndarray, speed: np.ndarray, climb: int) -> bool:
        """True if no car reaches the chicken in the next HORIZON steps while it moves by
        ``climb`` per step."""
        for t in range(self.HORIZON + 1):
            lane = (y + climb * t - self.LANE_Y0) // self.LANE_HEIGHT
            if 0 <= lane < self.LANES:
                x = (cars[lane] + speed[lane] * (t + 1)) % self.WIDTH
                if self.HIT_X[0] <= x <= self.HIT_X[1]:
                    return False
        return True

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        ram = _ram(env)
        y, cars = int(ram[14]), ram[108:118].astype(np.int64)  # cars: (10,)
        self._history = [*self._history[-self.SPEED_STEPS:], cars]
        if len(self._history) < 2:
            return self.NOOP
        half = self.WIDTH // 2
        moved = (self._history[-1] - self._history[0] + half) % self.WIDTH - half  # (10,)
        speed = moved / (len(self._history) - 1)  # (10,) RAM units per step
        if self._clear(y, cars, speed, self.STEP_Y):
            return self.UP
        if self._clear(y, cars, speed, 0):
            return self.NOOP
        return self.DOWN


class BowlingDemonstrator(Demonstrator):
    """Throws one curve ball every time: from a fixed lane height, steering up late in the roll.

    The ball, once steered, curves at half a RAM unit per step until it reaches the pins. A grid
    over start height (``ram[40]``) and steering point (ball x) on seeded games found the pair
    below, which strikes on most first balls and leaves pins the same throw mostly picks up;
    neighbouring steering points score 60-100 points a game less. Bowling reads the joystick
    rarely enough that sticky actions barely matter: 46 of 50 seeded games score 174, 4 score 202.
    """

    task_id = "ALE/Bowling-v5"
    NOOP, FIRE, UP, DOWN = 0, 1, 2, 3
    READY_X = 8  # bowler x (RAM units) while waiting for the next throw
    THROW_Y = 6  # bowler y (RAM units) to throw from
    STEER_X = 82  # ball x (RAM units) from which the ball is steered up

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        ram = _ram(env)
        bowler_x, bowler_y, ball_x = int(ram[29]), int(ram[40]), int(ram[30])
        if bowler_x == self.READY_X:  # walk to the throwing height, then throw
            if bowler_y != self.THROW_Y:
                return self.UP if bowler_y < self.THROW_Y else self.DOWN
            return self.FIRE
        return self.UP if ball_x >= self.STEER_X else self.NOOP
