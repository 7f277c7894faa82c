"""gato-collect's speed: the recording overhead, and a DAgger collection at 1 vs N envs.

    python benchmarks/collect.py                         # Breakout, Pong, Hopper; 3 episodes each
    python benchmarks/collect.py --tasks ALE/Breakout-v5 --episodes 5
    python benchmarks/collect.py --dagger gato --tasks Hopper-v5 InvertedDoublePendulum-v5 --episodes 8 --num-envs 1 8

For each task, the same demonstrator plays the same seeded episodes twice: once in a bare loop
(``envs.make`` + ``demo.act``, nothing stored) and once through ``rollouts.collect.collect``
(observations buffered, image chunks compressed by a worker thread, one episode file written and
fsynced per episode). The table prints both rates and their ratio; the target is a ratio of at
least 0.8. The assembly of the Minari file at the end of a run is timed on its own.

With ``--dagger SPEC`` the table is instead a DAgger collection (``--policy SPEC --label expert``)
of the same episodes at each ``--num-envs``: env steps per second and the ratio to the first
count, measured in one run.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tyro

import envs
from envs.demonstrators import get_demonstrator
from rollouts.collect import CollectConfig, collect


@dataclass
class BenchConfig:
    """Compare the bare env loop with gato-collect on the same demonstrator episodes."""

    tasks: list[str] = field(default_factory=lambda: ["ALE/Breakout-v5", "ALE/Pong-v5",
                                                      "Hopper-v5"])
    """Task ids (each must have a demonstrator)."""
    episodes: int = 3
    """Episodes per task and per mode."""
    max_episode_steps: int | None = 3000
    """Cap on episode length, to bound the run time (None: full episodes)."""
    dagger: str | None = None
    """A policy spec (gato, gato:PATH, ...) that acts while the demonstrator labels: time that
    collection at each --num-envs instead of the recording overhead."""
    num_envs: list[int] = field(default_factory=lambda: [1, 8])
    """With --dagger: the sub-env counts to compare (the first is the ratio's base)."""


def bare_loop(task_id: str, episodes: int, max_episode_steps: int | None) -> tuple[int, float]:
    """(steps, seconds) of the demonstrator's episodes with nothing recorded."""
    env = envs.make(task_id, max_episode_steps=max_episode_steps)
    demo = get_demonstrator(task_id)
    steps, t0 = 0, time.perf_counter()
    for seed in range(episodes):
        obs, _ = env.reset(seed=seed)
        demo.reset(env)
        while True:
            obs, _, terminated, truncated, _ = env.step(demo.act(obs, env))
            steps += 1
            if terminated or truncated:
                break
    return steps, time.perf_counter() - t0


def dagger_table(cfg: BenchConfig) -> None:
    """Print the DAgger collection's steps per second at each --num-envs, and the ratio to the first."""
    print(f"\n{'task':<28}{'num_envs':>9}{'steps/s':>9}{'ratio':>7}")
    for task_id in cfg.tasks:
        base = None
        for n in cfg.num_envs:
            with tempfile.TemporaryDirectory() as tmp:
                result = collect(CollectConfig(env=task_id, out=Path(tmp) / "bench-v0", policy=cfg.dagger, label="expert",
                                               episodes=cfg.episodes, num_envs=n, progress=False,
                                               max_episode_steps=cfg.max_episode_steps))
            base = base or result.steps_per_second
            print(f"{task_id:<28}{n:>9}{result.steps_per_second:>9.0f}{result.steps_per_second / base:>7.2f}")


def main() -> None:
    cfg = tyro.cli(BenchConfig)
    if cfg.dagger is not None:
        dagger_table(cfg)
        return
    rows = []
    for task_id in cfg.tasks:
        steps, seconds = bare_loop(task_id, cfg.episodes, cfg.max_episode_steps)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = collect(CollectConfig(env=task_id, out=Path(tmp) / "bench-v0",
                                           episodes=cfg.episodes, progress=False,
                                           max_episode_steps=cfg.max_episode_steps))
            total = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in (Path(tmp) / "bench-v0" / "data").iterdir())
        rows.append((task_id, steps, steps / seconds, result.steps_per_second,
                     result.steps_per_second / (steps / seconds), total, size / steps))
    print(f"\n{'task':<20}{'steps':>8}{'bare steps/s':>14}{'collect steps/s':>17}"
          f"{'ratio':>7}{'run incl. assembly s':>22}{'bytes/step':>12}")
    for task_id, steps, bare, rec, ratio, total, per_step in rows:
        print(f"{task_id:<20}{steps:>8}{bare:>14.0f}{rec:>17.0f}{ratio:>7.2f}{total:>22.1f}"
              f"{per_step:>12.0f}")


if __name__ == "__main__":
    main()
