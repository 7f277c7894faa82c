"""Env steps per second of a Gato preset acting in real Atari and MuJoCo envs, on a given device.

    python benchmarks/device.py --device cuda --config small        # about 3 minutes on one GPU
    python benchmarks/device.py --device cpu --config tiny --num-envs 1 4 --dtypes float32

Each configuration runs ``rollouts.evaluate`` with a randomly initialized preset (speed does not
depend on the weights) acting greedily on ``--device`` in each ``--dtypes`` type, ``num_envs``
episodes of ``--steps`` steps each, with the sub-envs stepped in this process (sync) or one process
each (async). Steps/s counts every env step over the rollout's wall time (model, envs, harness);
"act ms" is the model's own time per batched step. A warm-up rollout runs first (CUDA context,
kernels). Prints a markdown table, one row per configuration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import torch
import tyro

from gato_agent import Gato, GatoAgent, GatoConfig
from gato_agent.device import resolve_device
from rollouts.evaluate import evaluate


@dataclass
class BenchArgs:
    """What to measure."""

    device: str = "cpu"
    """cpu, cuda, cuda:N or mps."""
    config: str = "small"
    """GatoConfig preset (tiny, small, baseline, large)."""
    tasks: list[str] = field(default_factory=lambda: ["ALE/Breakout-v5", "HalfCheetah-v5"])
    """Task ids: Atari (one image observation, Discrete action) and MuJoCo (floats, a 6-dim Box)."""
    num_envs: list[int] = field(default_factory=lambda: [1, 8, 32])
    """Batch sizes (envs acting in lock-step)."""
    dtypes: list[Literal["float32", "bfloat16", "float16"]] = field(default_factory=lambda: ["float32", "bfloat16"])
    """Acting dtypes (torch.autocast)."""
    vectors: list[Literal["sync", "async"]] = field(default_factory=lambda: ["sync", "async"])
    """How the sub-envs step."""
    steps: int = 100
    """Steps per episode (each sub-env runs one episode)."""
    threads: int | None = None
    """torch CPU threads (default: torch's choice)."""


class _TimedAgent:
    """A GatoAgent whose act time is summed."""

    def __init__(self, agent: GatoAgent) -> None:
        self.agent, self.seconds, self.calls = agent, 0.0, 0
        self.num_envs, self.device = agent.num_envs, agent.device

    def act(self, obs):
        start = time.perf_counter()
        try:
            return self.agent.act(obs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def reset(self, env_ids=None) -> None:
        self.agent.reset(env_ids)


def _row(model: Gato, args: BenchArgs, task: str, n: int, dtype: str, vector: str) -> str:
    made: list[_TimedAgent] = []

    def factory(task_id, obs_space, act_space, num_envs):
        made.append(_TimedAgent(GatoAgent(model, obs_space, act_space, num_envs=num_envs, device=args.device, dtype=dtype)))
        return made[-1]

    result = evaluate(factory, [task], episodes=n, num_envs=n, max_episode_steps=args.steps, progress=False,
                      vector=vector, device=args.device).tasks[0]
    if result.status != "ok":
        return f"| {task} | {dtype} | {n} | {vector} | {result.status}: {(result.error or '').splitlines()[0]} | | |"
    act_ms = 1000 * made[0].seconds / max(made[0].calls, 1)
    return (f"| {task} | {dtype} | {n} | {vector} | {result.steps} | {result.steps_per_second:.0f} | {act_ms:.1f} |")


def main() -> None:
    """Run every configuration and print the table."""
    args = tyro.cli(BenchArgs, description=__doc__)
    device = resolve_device(args.device)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Gato(GatoConfig.from_name(args.config)).to(device).eval()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    _row(model, BenchArgs(**{**vars(args), "steps": 5}), args.tasks[0], 1, args.dtypes[0], "sync")  # warm-up
    print(f"Gato {args.config} ({sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters) on {name}, "
          f"{args.steps} steps per episode, greedy actions\n")
    print("| task | dtype | num_envs | vector | steps | steps/s | act ms |")
    print("|---|---|---|---|---|---|---|")
    for task in args.tasks:
        for n in args.num_envs:
            for dtype in args.dtypes:
                for vector in args.vectors:
                    print(_row(model, args, task, n, dtype, vector), flush=True)


if __name__ == "__main__":
    main()
