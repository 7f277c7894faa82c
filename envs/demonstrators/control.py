"""Model-based MuJoCo demonstrators: LQR for the inverted pendulums, operational-space PD for Reacher.

All three act on the observation alone (it holds the full state these controllers need); the env
is used once, to linearize its own MuJoCo model, so no dynamics constants are copied into code.

LQR (``InvertedPendulum-v5``, ``InvertedDoublePendulum-v5``)
    Central finite differences of the env step (``frame_skip`` MuJoCo steps, control held) around
    the upright equilibrium (``qpos0``, zero velocity, zero control) give ``x' = A x + B u`` with
    ``x = [qpos, qvel]``. The discrete Riccati equation is iterated to
    convergence and the action is ``u = clip(-K x)``. The state is read back from the observation
    (angles as ``atan2(sin, cos)`` for the double pendulum).
Reacher (``Reacher-v5``)
    Jacobian-transpose control of the fingertip: a spring-damper force in the plane pulls the tip to
    the target, ``tau = J(q)^T (-kp e - kd J(q) qdot)``, with ``e`` the tip-minus-target vector of
    the observation and ``J`` the two-link arm's Jacobian (link lengths read from the model).
"""

from __future__ import annotations

import gymnasium as gym
import mujoco
import numpy as np

from envs.demonstrators.base import Demonstrator


def linearize(env: gym.Env, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of one env step of a MuJoCo env around ``qpos0``, zero velocity and zero control.

    Central finite differences of the whole env step (``frame_skip`` physics steps with the control
    held) on a scratch ``MjData``, so any integrator works (``InvertedPendulum`` uses RK4, which
    ``mujoco.mjd_transitionFD`` does not support). State ``x = [qpos, qvel]`` (hinge/slide joints).
    """
    unwrapped = env.unwrapped
    model = unwrapped.model
    if model.nq != model.nv or model.na:
        raise ValueError("linearize handles hinge and slide joints without actuator state only")
    data = mujoco.MjData(model)
    nq, nu = model.nq, model.nu

    def step(x: np.ndarray, u: np.ndarray) -> np.ndarray:
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:], data.ctrl[:] = x[:nq], x[nq:], u
        mujoco.mj_step(model, data, nstep=unwrapped.frame_skip)
        return np.concatenate([data.qpos, data.qvel])

    x0 = np.concatenate([model.qpos0, np.zeros(nq)])
    u0 = np.zeros(nu)
    a = np.stack([(step(x0 + eps * e, u0) - step(x0 - eps * e, u0)) / (2 * eps)
                  for e in np.eye(2 * nq)], axis=1)
    b = np.stack([(step(x0, u0 + eps * e) - step(x0, u0 - eps * e)) / (2 * eps)
                  for e in np.eye(nu)], axis=1)
    return a, b


def dlqr(a: np.ndarray, b: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Gain K of the infinite-horizon discrete LQR (``u = -K x``), by Riccati iteration."""
    p = q.copy()
    for _ in range(100_000):
        k = np.linalg.solve(r + b.T @ p @ b, b.T @ p @ a)
        p_next = q + a.T @ p @ (a - b @ k)
        if np.allclose(p_next, p, rtol=1e-10, atol=1e-10):
            return k
        p = p_next
    raise RuntimeError("the Riccati iteration did not converge (is the system stabilizable?)")


class LQRDemonstrator(Demonstrator):
    """LQR around the upright equilibrium of an inverted pendulum task."""

    def __init__(self, task_id: str, q_diag: tuple[float, ...], r: float) -> None:
        self.task_id = task_id
        self.q_diag = np.asarray(q_diag, dtype=np.float64)  # state cost, x = [qpos, qvel]
        self.r = r  # control cost
        self._gain: np.ndarray | None = None  # (nu, 2 nv), computed from the first env seen
        self._low = self._high = None

    def reset(self, env: gym.Env) -> None:
        if self._gain is None:
            a, b = linearize(env)
            if a.shape[0] != self.q_diag.size:
                raise ValueError(f"{self.task_id}: state of size {a.shape[0]}, but "
                                 f"{self.q_diag.size} state costs were given")
            self._gain = dlqr(a, b, np.diag(self.q_diag), self.r * np.eye(b.shape[1]))
            self._low, self._high = env.action_space.low, env.action_space.high

    def state(self, obs: np.ndarray) -> np.ndarray:
        """``[qpos, qvel]`` from the observation."""
        if self.task_id.startswith("InvertedDoublePendulum"):
            # obs = [x, sin q1, sin q2, cos q1, cos q2, xdot, q1dot, q2dot, constraint force]
            angles = np.arctan2(obs[1:3], obs[3:5])
            return np.concatenate([obs[:1], angles, obs[5:8]])
        return np.asarray(obs[:4], dtype=np.float64)  # InvertedPendulum: obs = [qpos, qvel]

    def act(self, obs: np.ndarray, env: gym.Env) -> np.ndarray:
        if self._gain is None:
            self.reset(env)
        u = -self._gain @ self.state(np.asarray(obs, dtype=np.float64))
        return np.clip(u, self._low, self._high).astype(np.float32)


class ReacherDemonstrator(Demonstrator):
    """Jacobian-transpose spring-damper on the fingertip of ``Reacher-v5``."""

    task_id = "Reacher-v5"

    def __init__(self, kp: float, kd: float) -> None:
        self.kp = kp  # stiffness of the virtual spring pulling the fingertip to the target
        self.kd = kd  # damping on the fingertip's velocity
        self._links: tuple[float, float] | None = None

    def reset(self, env: gym.Env) -> None:
        if self._links is None:
            model = env.unwrapped.model
            body1 = model.body("body1").pos  # elbow, relative to the first link's body
            tip = model.body("fingertip").pos  # fingertip, relative to the second link's body
            self._links = float(np.hypot(*body1[:2])), float(np.hypot(*tip[:2]))

    def act(self, obs: np.ndarray, env: gym.Env) -> np.ndarray:
        if self._links is None:
            self.reset(env)
        l1, l2 = self._links
        # obs = [cos q1, cos q2, sin q1, sin q2, target xy, q1dot, q2dot, tip - target xy]
        q1, q12 = np.arctan2(obs[2], obs[0]), np.arctan2(obs[2], obs[0]) + np.arctan2(obs[3], obs[1])
        jac = np.array([
            [-l1 * np.sin(q1) - l2 * np.sin(q12), -l2 * np.sin(q12)],
            [l1 * np.cos(q1) + l2 * np.cos(q12), l2 * np.cos(q12)],
        ])
        tip_vel = jac @ obs[6:8]
        force = -self.kp * obs[8:10] - self.kd * tip_vel
        return np.clip(jac.T @ force, -1.0, 1.0).astype(np.float32)
