"""Throughput of rollouts.evaluate: env steps per second by task, policy, batch size and video.

    .venv/bin/python benchmarks/eval.py                       # random and tiny-Gato policies
    .venv/bin/python benchmarks/eval.py --tasks Hopper-v5 --num-envs 1 2 4 8 --policies random

Prints one markdown table row per configuration. Steps/s counts the env steps of finished episodes
over the rollout's wall time (policy, env and, with video, rendering and encoding). The last three
columns split the whole evaluate() call: inside the policy's act/reset, inside the vector env's
construction/step/reset, and everything else (the harness itself, plus rendering and encoding when video is on); the
target for the harness alone is at most 10%. The machine is shared and noisy: compare rows of one
run, not runs.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import gymnasium as gym
import torch
import tyro

from rollouts.evaluate import evaluate
from rollouts.policies import PolicyFactory, RandomPolicy


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


class _Clock:
    """Seconds spent inside the wrapped callables."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


class _TimedPolicy:
    """A policy whose act/reset time goes to a clock."""

    def __init__(self, policy, clock: _Clock) -> None:
        self.act = clock.wrap(policy.act)
        if hasattr(policy, "reset"):
            self.reset = clock.wrap(policy.reset)


def _timed(factory: PolicyFactory, clock: _Clock) -> PolicyFactory:
    return lambda *args: _TimedPolicy(factory(*args), clock)


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
    env_clock, policy_clock = _Clock(), _Clock()
    vector = gym.vector.SyncVectorEnv
    vector.__init__, vector.step, vector.reset = (env_clock.wrap(f) for f in (vector.__init__, vector.step, vector.reset))
    print("| task | policy | num_envs | video | episodes | steps | wall s | steps/s | policy % | env % | other % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for task in args.tasks:
        for name in args.policies:
            policy = _timed(_policy(name), policy_clock)
            for n in args.num_envs:
                for video in args.video:
                    env_clock.seconds = policy_clock.seconds = 0.0
                    start = time.perf_counter()
                    with tempfile.TemporaryDirectory() as tmp:
                        result = evaluate(
                            policy, [task], episodes=args.episodes, num_envs=n,
                            max_episode_steps=args.max_episode_steps,
                            video_dir=tmp if video else None, progress=False,
                        ).tasks[0]
                    wall = time.perf_counter() - start
                    if result.status != "ok":
                        print(f"| {task} | {name} | {n} | {video} | {result.status}: {result.error} |")
                        continue
                    shares = [100 * c.seconds / wall for c in (policy_clock, env_clock)]
                    print(
                        f"| {task} | {name} | {n} | {video} | {len(result.returns)} | {result.steps} | "
                        f"{result.wall_s:.1f} | {result.steps_per_second:.0f} | {shares[0]:.1f} | {shares[1]:.1f} | "
                        f"{100 - sum(shares):.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
