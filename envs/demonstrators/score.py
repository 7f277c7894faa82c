"""Measure a demonstrator: mean and std of its return over seeded episodes of ``envs.make``.

    python -m envs.demonstrators.score --env Hopper-v5 --episodes 50
    python -m envs.demonstrators.score --env ALE/Breakout-v5 --episodes 50 --max-minutes 30 \
        --json breakout.json
    python -m envs.demonstrators.score --env ALE/Breakout-v5 --episodes 10 --action-noise 0.1

Episode ``i`` is reset with seed ``seed + i``. The return is the sum of the env's rewards over
the whole episode (for Atari the full game, up to the 108k-frame cap). One line per episode,
then a summary line beside the reference random and expert scores.

``--action-noise`` executes the demonstrator's actions through the same noise as gato-collect's
(seeded alike, so episode ``i`` is the one ``gato-collect --seed S --action-noise p`` records):
on a discrete task, a fraction ``p`` of the actions replaced by random ones. It measures how much
a policy may disagree with the demonstrator and still keep its score.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tyro

import envs
from envs.demonstrators import get_demonstrator, perturb


@dataclass
class ScoreConfig:
    """Roll a task's demonstrator for a fixed number of seeded episodes and report its return."""

    env: str = "InvertedPendulum-v5"
    """Task id (one with a demonstrator)."""
    episodes: int = 50
    """Number of episodes."""
    seed: int = 0
    """Seed of the first episode; episode i uses seed + i."""
    max_minutes: float | None = None
    """Stop starting new episodes after this much wall time (the summary says how many ran)."""
    max_episode_steps: int | None = None
    """Optional cap on episode length (a truncation), for quick looks and tests."""
    action_noise: float = 0.0
    """Noise on the executed actions, as gato-collect's --action-noise: Gaussian with this std as a
    fraction of the half-range for Box actions; for discrete ones, a uniformly random action with
    this probability."""
    json: Path | None = None
    """Also write the per-episode returns and the summary to this JSON file."""


@dataclass
class Score:
    """What :func:`score` measured."""

    env: str  # task id
    seeds: list[int]  # the seed of each finished episode
    returns: list[float]  # the return of each finished episode
    lengths: list[int]  # the length in steps of each finished episode
    mean: float  # mean return
    std: float  # population std of the returns
    seconds: float  # wall time of the whole measurement


def score(cfg: ScoreConfig) -> Score:
    """Run the measurement described by ``cfg``, printing a line per episode."""
    if cfg.episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {cfg.episodes}")
    if not 0.0 <= cfg.action_noise <= 1.0:
        raise ValueError(f"--action-noise must be in [0, 1], got {cfg.action_noise}")
    demo = get_demonstrator(cfg.env)
    env = envs.make(cfg.env, max_episode_steps=cfg.max_episode_steps)
    seeds: list[int] = []
    returns: list[float] = []
    lengths: list[int] = []
    t0 = time.monotonic()
    for i in range(cfg.episodes):
        if cfg.max_minutes is not None and time.monotonic() - t0 > 60 * cfg.max_minutes:
            print(f"time cap of {cfg.max_minutes} min reached after {i} episodes", flush=True)
            break
        obs, _ = env.reset(seed=cfg.seed + i)
        env.action_space.seed(cfg.seed + i)
        noise = np.random.default_rng([cfg.seed + i, 1])
        demo.reset(env)
        total, steps = 0.0, 0
        while True:
            action = demo.act(obs, env)
            if cfg.action_noise:
                action = perturb(action, env.action_space, cfg.action_noise, noise)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            steps += 1
            if terminated or truncated:
                break
        seeds.append(cfg.seed + i)
        returns.append(total)
        lengths.append(steps)
        print(f"episode {i:3d}  seed {cfg.seed + i:5d}  return {total:10.2f}  length {steps:6d}",
              flush=True)
    env.close()
    result = Score(cfg.env, seeds, returns, lengths, float(np.mean(returns)),
                   float(np.std(returns)), time.monotonic() - t0)
    ref = envs.reference_for(cfg.env)
    ref_text = f"  (reference random {ref.random}, expert {ref.expert})" if ref else ""
    noise_text = f" with action noise {cfg.action_noise}" if cfg.action_noise else ""
    print(f"{cfg.env}{noise_text}: {result.mean:.2f} +- {result.std:.2f} over {len(returns)} "
          f"episodes in {result.seconds:.0f} s{ref_text}", flush=True)
    if cfg.json is not None:
        cfg.json.parent.mkdir(parents=True, exist_ok=True)
        cfg.json.write_text(json.dumps({"config": {**asdict(cfg), "json": str(cfg.json)},
                                        **asdict(result)}, indent=1))
    return result


def main() -> None:
    score(tyro.cli(ScoreConfig))


if __name__ == "__main__":
    main()
