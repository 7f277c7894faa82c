"""Throughput of rollouts.evaluate: env steps per second by task, policy, batch size and video.

    .venv/bin/python benchmarks/eval.py                       # random and tiny-Gato policies
    .venv/bin/python benchmarks/eval.py --tasks Hopper-v5 --num-envs 1 2 4 8 --policies random

Prints one markdown table row per configuration. Steps/s counts the env steps of finished episodes
over the rollout's wall time (policy, env and, with video, rendering and encoding). The machine is
shared and noisy: compare rows of one run, not runs.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Literal

import torch
import tyro

from rollouts.evaluate import PolicyFactory, RandomPolicy, evaluate


@dataclass
class BenchArgs:
    """What to measure."""

    tasks: list[str] = field(default_factory=lambda: ["ALE/Breakout-v5", "HalfCheetah-v5"])
    """Task ids to roll out."""
    policies: list[Literal["random", "gato-tiny"]] = field(default_factory=lambda: ["random", "gato-tiny"])
    """Policies: uniformly random, or a random-init tiny GatoAgent acting greedily."""
    num_envs: list[int] = field(default_factory=lambda: [1, 4])
    """Batch sizes to try."""
    video: list[bool] = field(default_factory=lambda: [False, True])
    """Without and/or with an mp4 of the first episode."""
    episodes: int = 2
    """Episodes per configuration."""
    max_episode_steps: int = 100
    """Step cap per episode (keeps Gato rows short)."""
    threads: int = 1
    """torch threads (on a shared 2-core machine, 2 threads ran the tiny model 6x slower than 1)."""


def _policy(name: str) -> PolicyFactory:
    if name == "random":
        return RandomPolicy.factory(0)
    from gato_agent import Gato, GatoAgent, GatoConfig

    torch.manual_seed(0)
    model = Gato(GatoConfig.from_name("tiny"))
    return lambda task_id, obs_space, act_space, n: GatoAgent(model, obs_space, act_space, num_envs=n)


def main() -> None:
    """Run every configuration of the command line and print the table."""
    args = tyro.cli(BenchArgs, description=__doc__)
    torch.set_num_threads(args.threads)
    print("| task | policy | num_envs | video | episodes | steps | wall s | steps/s |")
    print("|---|---|---|---|---|---|---|---|")
    for task in args.tasks:
        for name in args.policies:
            policy = _policy(name)
            for n in args.num_envs:
                for video in args.video:
                    with tempfile.TemporaryDirectory() as tmp:
                        result = evaluate(
                            policy, [task], episodes=args.episodes, num_envs=n,
                            max_episode_steps=args.max_episode_steps,
                            video_dir=tmp if video else None, progress=False,
                        ).tasks[0]
                    if result.status != "ok":
                        print(f"| {task} | {name} | {n} | {video} | {result.status}: {result.error} |")
                        continue
                    print(
                        f"| {task} | {name} | {n} | {video} | {len(result.returns)} | {result.steps} | "
                        f"{result.wall_s:.1f} | {result.steps_per_second:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
