"""Augmented Random Search (Mania et al. 2018, method V2-t) for linear MuJoCo demonstrators.

Trains the linear policies of :mod:`envs.demonstrators.linear`. Per iteration: draw ``directions``
Gaussian perturbations ``delta`` of the weight matrix, roll out ``W + noise*delta`` and
``W - noise*delta`` once each, keep the ``top`` directions by ``max(r+, r-)``, and step
``W += step_size / (top * sigma_R) * sum (r+ - r-) delta`` where ``sigma_R`` is the std of the kept
returns. Observations are normalized by the running mean and std of every state visited so far
(frozen within an iteration). Locomotion tasks subtract their per-step alive bonus during training
(``reward_shift``, as in the paper), which removes the "stand still and collect the bonus" optimum.

Every ``eval_every`` iterations the noiseless policy is scored on ``eval_episodes`` episodes with
the true reward; the best one so far is written atomically to ``--out`` (so a run killed at any
time leaves its best policy), the learning curve to ``<out>.csv`` and the full training state to
``<out>.state.npz`` (``--resume`` continues from it). Runs are deterministic for a given seed.
The commands that produced the committed weights; their ``.npz`` and ``.csv`` (the learning
curve) were then copied into ``envs/assets/demonstrators/``::

    # best at iteration 145 (eval 3263 over 5 episodes); about 6 minutes on 2 shared cores
    python -m envs.demonstrators.ars --env Hopper-v5 --iterations 200 --eval-episodes 5 \
        --max-minutes 60 --out runs/ars/Hopper-v5.npz
    # best at iteration 145 (eval 5756 over 20 episodes); about 23 minutes on 2 shared cores
    python -m envs.demonstrators.ars --env HalfCheetah-v5 --iterations 335 \
        --max-minutes 60 --out runs/ars/HalfCheetah-v5.npz
    # on a lent 16-core machine, side by side (7.3 minutes each, 16 processes in all):
    # Swimmer best at iteration 515 (eval 356.9; 1.0M steps); Pusher at 700 (eval -41.3; 2.2M steps)
    python -m envs.demonstrators.ars --env Swimmer-v5 --workers 1 --iterations 100000 \
        --max-minutes 7.3 --out runs/ars/Swimmer-v5.npz
    python -m envs.demonstrators.ars --env Pusher-v5 --workers 2 --iterations 100000 \
        --max-minutes 7.3 --out runs/ars/Pusher-v5.npz
    # Ant: 31 iterations there with 4 workers (eval 1895), then resumed here on one shared core
    # for 90 minutes; best at iteration 75 (eval 3458 over 20 episodes; 7.4M steps), flat to 95
    python -m envs.demonstrators.ars --env Ant-v5 --workers 4 --iterations 100000 \
        --max-minutes 7.3 --out runs/ars/Ant-v5.npz
    python -m envs.demonstrators.ars --env Ant-v5 --iterations 100000 --max-minutes 135 \
        --resume --out runs/ars/Ant-v5.npz

The defaults per env are the paper's V2-t hyperparameters (its Table 9); ``--max-minutes`` bounds
the wall time. Single process: run it with ``OMP_NUM_THREADS=1``.
"""

from __future__ import annotations

import csv
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import tyro

from envs.atomic import write_atomic
from envs.demonstrators.linear import LinearPolicy
from envs.mujoco import mujoco_warnings_as_python

# Paper V2-t hyperparameters per env: (step_size, directions, top, noise, reward_shift).
PRESETS: dict[str, tuple[float, int, int, float, float]] = {
    "Hopper-v5": (0.01, 8, 4, 0.025, 1.0),
    "HalfCheetah-v5": (0.02, 32, 4, 0.03, 0.0),
    "Walker2d-v5": (0.025, 40, 30, 0.01, 1.0),
    "Swimmer-v5": (0.02, 1, 1, 0.01, 0.0),
    "Ant-v5": (0.015, 60, 20, 0.025, 1.0),
    "Humanoid-v5": (0.02, 230, 230, 0.0075, 5.0),
}


@dataclass
class ARSConfig:
    """Augmented Random Search (V2-t) for a linear policy on one Gymnasium Box-action task."""

    env: str = "Hopper-v5"
    """Gymnasium id of the task (default kwargs, as ``envs.make`` builds it)."""
    out: Path = Path("ars-policy.npz")
    """Where the best policy so far is written (``.npz``); ``.csv`` and ``.state.npz`` beside it."""
    iterations: int = 1000
    """Maximum number of ARS updates."""
    max_minutes: float = 30.0
    """Stop after this much wall time (the best policy so far is on disk at every moment)."""
    step_size: float | None = None
    """alpha; None takes the env's preset (or 0.02)."""
    directions: int | None = None
    """N, perturbation directions per iteration; None takes the preset (or 16)."""
    top: int | None = None
    """b, best directions used in the update; None takes the preset (or N/2)."""
    noise: float | None = None
    """nu, std of the parameter perturbation; None takes the preset (or 0.03)."""
    reward_shift: float | None = None
    """Subtracted from every training reward (the alive bonus); None takes the preset (or 0)."""
    eval_every: int = 5
    """Score the noiseless policy every this many iterations."""
    eval_episodes: int = 20
    """Episodes per evaluation (fixed seeds, true reward); few episodes can pick a policy that
    fails on other seeds (a HalfCheetah that flips over on its back)."""
    seed: int = 0
    """Seed of the perturbations and of the training episodes."""
    resume: bool = False
    """Continue from ``<out>.state.npz`` instead of starting from zero weights."""
    workers: int = 1
    """Processes that run the episodes of an iteration (each with its own env); the result is the
    same for any number, since every episode is reset with its own seed."""


class RunningStats:
    """Running mean and variance of observations (Chan et al. parallel update)."""

    def __init__(self, dim: int) -> None:
        self.count = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)  # sum of squared deviations from the mean

    def update(self, batch: np.ndarray) -> None:
        n = batch.shape[0]
        if n == 0:
            return
        b_mean = batch.mean(axis=0)
        b_m2 = ((batch - b_mean) ** 2).sum(axis=0)
        total = self.count + n
        delta = b_mean - self.mean
        self.mean = self.mean + delta * n / total
        self.m2 = self.m2 + b_m2 + delta**2 * self.count * n / total
        self.count = total

    def inv_std(self) -> np.ndarray:
        """1/std, identity before two samples, 0 on dimensions that never varied."""
        if self.count < 2:
            return np.ones_like(self.mean)
        std = np.sqrt(self.m2 / (self.count - 1))
        return np.where(std > 1e-8, 1.0 / np.maximum(std, 1e-8), 0.0)


def rollout(
    env: gym.Env, policy: LinearPolicy, seed: int, shift: float, states: list | None
) -> tuple[float, int]:
    """One episode; returns (sum of rewards minus ``shift`` per step, steps). Appends states."""
    obs, _ = env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        if states is not None:
            states.append(obs)
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward) - shift
        steps += 1
        if terminated or truncated:
            return total, steps


_worker_env: gym.Env | None = None  # the env of a worker process of :class:`Rollouts`


def _init_worker(env_id: str) -> None:
    global _worker_env
    with mujoco_warnings_as_python():
        _worker_env = gym.make(env_id)


def _rollout_job(job: tuple[LinearPolicy, int, float, bool]) -> tuple[float, int, list | None]:
    policy, seed, shift, keep_states = job
    states: list | None = [] if keep_states else None
    ret, steps = rollout(_worker_env, policy, seed, shift, states)
    return ret, steps, states


class Rollouts:
    """Runs a batch of seeded episodes in this process or in a pool of ``workers`` processes."""

    def __init__(self, env_id: str, workers: int) -> None:
        self.pool = None
        if workers > 1:
            self.pool = multiprocessing.get_context("spawn").Pool(
                workers, initializer=_init_worker, initargs=(env_id,))
        else:
            _init_worker(env_id)

    def run(self, jobs: list[tuple[LinearPolicy, int, float, bool]]) -> list[tuple[float, int, list | None]]:
        """Each job ``(policy, seed, shift, keep_states)`` -> ``(return, steps, states)``, in order."""
        if self.pool is None:
            return [_rollout_job(job) for job in jobs]
        return self.pool.map(_rollout_job, jobs, chunksize=1)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()


def train(cfg: ARSConfig) -> LinearPolicy:
    """Run ARS as configured; returns the best policy found (also on disk at ``cfg.out``)."""
    preset = PRESETS.get(cfg.env, (0.02, 16, 8, 0.03, 0.0))
    alpha = cfg.step_size if cfg.step_size is not None else preset[0]
    n_dir = cfg.directions if cfg.directions is not None else preset[1]
    top = cfg.top if cfg.top is not None else min(preset[2], n_dir)
    nu = cfg.noise if cfg.noise is not None else preset[3]
    shift = cfg.reward_shift if cfg.reward_shift is not None else preset[4]
    if not 1 <= top <= n_dir:
        raise ValueError(f"--top must be in [1, --directions={n_dir}], got {top}")
    if cfg.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {cfg.workers}")

    with mujoco_warnings_as_python():
        env = gym.make(cfg.env)
    if not isinstance(env.action_space, gym.spaces.Box) or len(env.observation_space.shape) != 1:
        raise ValueError(f"ARS needs a flat Box observation and Box action; {cfg.env} has "
                         f"{env.observation_space} -> {env.action_space}")
    obs_dim = env.observation_space.shape[0]
    act_dim = env.action_space.shape[0]
    low = env.action_space.low.astype(np.float64)
    high = env.action_space.high.astype(np.float64)

    out = Path(cfg.out)
    state_path = out.with_name(out.stem + ".state.npz")
    log_path = out.with_suffix(".csv")
    rng = np.random.default_rng(cfg.seed)
    weights = np.zeros((act_dim, obs_dim))
    stats = RunningStats(obs_dim)
    start_iter, episodes, env_steps, best = 0, 0, 0, -np.inf
    if cfg.resume:
        with np.load(state_path) as s:
            weights = s["weights"]
            stats.count, stats.mean, stats.m2 = int(s["count"]), s["mean"], s["m2"]
            start_iter, episodes = int(s["iteration"]), int(s["episodes"])
            env_steps, best = int(s["env_steps"]), float(s["best"])
        rng = np.random.default_rng([cfg.seed, start_iter])
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerow(["iteration", "episodes", "env_steps", "minutes",
                                    "train_return_mean", "eval_return_mean", "eval_return_std"])

    def policy_for(w: np.ndarray, mean: np.ndarray, inv_std: np.ndarray) -> LinearPolicy:
        return LinearPolicy(w, mean, inv_std, low, high)

    env.close()
    runner = Rollouts(cfg.env, cfg.workers)
    t0 = time.monotonic()
    best_policy = None
    print(f"ARS V2-t on {cfg.env}: alpha={alpha} N={n_dir} b={top} nu={nu} shift={shift}",
          flush=True)
    for it in range(start_iter, cfg.iterations):
        mean, inv_std = stats.mean.copy(), stats.inv_std()
        deltas = rng.standard_normal((n_dir, act_dim, obs_dim))
        seeds = [int(rng.integers(2**31)) for _ in range(n_dir)]
        jobs = [(policy_for(weights + sign * nu * deltas[k], mean, inv_std), seeds[k], shift, True)
                for k in range(n_dir) for sign in (1.0, -1.0)]
        results = runner.run(jobs)  # (+delta_0, -delta_0, +delta_1, ...)
        returns = np.array([ret for ret, _, _ in results])
        r_pos, r_neg = returns[0::2], returns[1::2]
        states = [s for _, _, episode in results for s in episode]
        env_steps += sum(steps for _, steps, _ in results)
        episodes += len(results)
        order = np.argsort(-np.maximum(r_pos, r_neg))[:top]
        sigma_r = np.concatenate([r_pos[order], r_neg[order]]).std()
        step = np.tensordot(r_pos[order] - r_neg[order], deltas[order], axes=1)
        weights = weights + alpha / (top * max(sigma_r, 1e-8)) * step
        stats.update(np.asarray(states))

        minutes = (time.monotonic() - t0) / 60
        last = it + 1 == cfg.iterations or minutes >= cfg.max_minutes
        eval_mean = eval_std = float("nan")
        if (it + 1) % cfg.eval_every == 0 or last:
            current = policy_for(weights, stats.mean.copy(), stats.inv_std())
            returns = [ret for ret, _, _ in runner.run(
                [(current, 10_000 + i, 0.0, False) for i in range(cfg.eval_episodes)])]
            eval_mean, eval_std = float(np.mean(returns)), float(np.std(returns))
            if eval_mean > best:
                best, best_policy = eval_mean, current
                current.save(out, env_id=cfg.env, iteration=it + 1, episodes=episodes,
                             eval_return=eval_mean, eval_episodes=cfg.eval_episodes,
                             method="ARS V2-t", seed=cfg.seed)
            write_atomic(state_path, lambda f: np.savez(
                f, weights=weights, count=stats.count, mean=stats.mean, m2=stats.m2,
                iteration=it + 1, episodes=episodes, env_steps=env_steps, best=best))
        train_mean = float(np.concatenate([r_pos, r_neg]).mean())
        with open(log_path, "a", newline="") as f:
            csv.writer(f).writerow([it + 1, episodes, env_steps, f"{minutes:.2f}",
                                    f"{train_mean:.1f}", f"{eval_mean:.1f}", f"{eval_std:.1f}"])
        if eval_mean == eval_mean:  # not NaN: an evaluation happened
            print(f"iter {it + 1:4d}  episodes {episodes:6d}  steps {env_steps:9d}  "
                  f"{minutes:6.1f} min  train {train_mean:8.1f}  eval {eval_mean:8.1f} "
                  f"+- {eval_std:6.1f}  best {best:8.1f}", flush=True)
        if last:
            break
    runner.close()
    return best_policy if best_policy is not None else LinearPolicy.load(out)


def main() -> None:
    train(tyro.cli(ARSConfig))


if __name__ == "__main__":
    main()
