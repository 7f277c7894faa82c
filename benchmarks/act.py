"""Speed of `GatoAgent.act`: latency per env step, cached against recomputed, batched, and the decode
step against its memory-bandwidth bound. Everything is measured in one run and printed as markdown.

    .venv/bin/python benchmarks/act.py                      # tiny and small, 1 torch thread
    .venv/bin/python benchmarks/act.py --quick              # fewer steps (about half the time)
    .venv/bin/python benchmarks/act.py --presets tiny --threads 1 2 --compile
    .venv/bin/python benchmarks/act.py --profile --presets tiny     # where a step's time goes

Steps are Atari-shaped (one 210x160x3 uint8 frame -> 20 patches, one Discrete(18) action: one model
call per step) and MuJoCo-shaped (17 float64 values, a 6-dim Box action: a prefill and 5 one-token
decodes per step). The context starts empty, half full or full: the episode is prompted with a
demonstration of that many random timesteps (the agent's prompt, whose keys and values are computed
once), then the timed steps run on from there; a full context stays full (sliding window).
Configurations that are compared run interleaved, step by step, so that the shared machine's load
hits them alike; quote the ratios before the absolute numbers. Models are randomly initialized
(speed does not depend on the weights) and no env runs: the figures are the agent's own time.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
import torch
import tyro
from gymnasium import spaces
from torch import Tensor

from gato_agent import Gato, GatoAgent, GatoConfig
from gato_agent.images import input_shape
from gato_agent.kv_cache import KVCache
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.timestep import Timestep
from gato_agent.tokenizer import TokenBatch

Task = Literal["atari", "mujoco"]
Fill = Literal["empty", "half", "full"]
K = TypeVar("K", bound=Hashable)  # what names a configuration in `interleave`


@dataclass
class BenchArgs:
    """What to measure."""

    presets: list[str] = field(default_factory=lambda: ["tiny", "small"])
    """Model presets (GatoConfig.from_name)."""
    tasks: list[Task] = field(default_factory=lambda: ["atari", "mujoco"])
    """Step shapes: atari (20 patches, Discrete(18)) and mujoco (17 floats, 6-dim Box)."""
    fills: list[Fill] = field(default_factory=lambda: ["empty", "half", "full"])
    """How full the context is when the timed steps start."""
    num_envs: list[int] = field(default_factory=lambda: [1, 4, 16])
    """Batch sizes of the batched table."""
    batch_fills: list[Fill] = field(default_factory=lambda: ["empty", "full"])
    """Context fills of the batched table."""
    threads: list[int] = field(default_factory=lambda: [1])
    """torch thread counts, interleaved step by step (on a busy 2-core machine 2 threads ran 30-50x slower than 1)."""
    steps: int = 30
    """Timed steps per cached configuration."""
    recompute_steps: int = 3
    """Timed steps of the use_cache=False baseline (seconds each for small at a full context)."""
    batch_steps: int = 8
    """Timed steps per batch size."""
    compile: bool = False
    """Also time GatoAgent(compile=True) on the mujoco step (the atari step has no decode to compile)."""
    quick: bool = False
    """Halve the step counts (2 recompute steps)."""
    profile: bool = False
    """Only profile the cached step at a full context (batch 1, first thread count): top ops by self time."""


@dataclass
class StepShape:
    """One env's observation and action spaces, and a pool of observations to act on."""

    observation_space: spaces.Space
    action_space: spaces.Space

    def observations(self, n: int, batch: int | None = None) -> list[Any]:
        """n observations (each a batch of `batch` when given)."""
        self.observation_space.seed(0)
        if batch is None:
            return [self.observation_space.sample() for _ in range(n)]
        return [np.stack([self.observation_space.sample() for _ in range(batch)]) for _ in range(n)]


SHAPES: dict[str, StepShape] = {
    "atari": StepShape(spaces.Box(0, 255, (210, 160, 3), np.uint8), spaces.Discrete(18)),
    "mujoco": StepShape(spaces.Box(-np.inf, np.inf, (17,), np.float64), spaces.Box(-1.0, 1.0, (6,), np.float32)),
}


def step_tokens(shape: StepShape, config: GatoConfig) -> int:
    """Tokens per timestep: observation, separator, action."""
    return Timestep(ObservationCodec(shape.observation_space, config), ActionCodec(shape.action_space, config)).size


def prompt_for(shape: StepShape, config: GatoConfig, fill: Fill) -> dict[str, np.ndarray] | None:
    """A demonstration of random timesteps that fills `fill` of the context (None when empty)."""
    if fill == "empty":
        return None
    budget = config.context_length if fill == "full" else config.context_length // 2
    steps = budget // step_tokens(shape, config)
    shape.action_space.seed(0)
    return {
        "observations": np.stack(shape.observations(steps)),
        "actions": np.stack([shape.action_space.sample() for _ in range(steps)]),
    }


def summary(seconds: list[float]) -> tuple[float, float]:
    """Median and 90th percentile, in milliseconds."""
    ms = sorted(1e3 * s for s in seconds)
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.9 * len(ms)))]


def interleave(runs: dict[K, Callable[[], None]], steps: dict[K, int], threads: dict[K, int]) -> dict[K, list[float]]:
    """Call each run `steps[name]` times, round-robin, under its thread count; -> seconds per call."""
    times: dict[K, list[float]] = {name: [] for name in runs}
    for i in range(max(steps.values())):
        for name, run in runs.items():
            if i < steps[name]:
                torch.set_num_threads(threads[name])
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return times


def copy_bandwidth(threads: int, megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes read plus written per second by a large tensor copy (the STREAM 'copy' convention)."""
    torch.set_num_threads(threads)
    src = torch.ones(megabytes * 2**20 // 4)
    dst = torch.empty_like(src)
    dst.copy_(src)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        dst.copy_(src)
        times.append(time.perf_counter() - start)
    return 2 * src.numel() * 4 / statistics.median(times)


def cycling(agent: GatoAgent, observations: list[Any]) -> Callable[[], None]:
    """A call that acts once on the next observation of the pool."""
    state = {"i": 0}

    def run() -> None:
        agent.act(observations[state["i"] % len(observations)])
        state["i"] += 1

    return run


def latency_table(args: BenchArgs, models: dict[str, Gato]) -> None:
    """Per-step latency, cached (eager, optionally compiled) against recomputed, by context fill."""
    print("\n### Latency of one env step (batch 1)\n")
    compiled = " compiled ms (median / p90) | compiled steps/s |" if args.compile else ""
    print(
        "| preset | step | context at start | threads | cached ms (median / p90) | cached steps/s |" + compiled
        + " recompute ms (median / p90) | recompute steps/s | cached / recompute speed |"
    )
    print("|---" * (10 if args.compile else 8) + "|")
    for preset, model in models.items():
        config = model.config
        for task in args.tasks:
            shape = SHAPES[task]
            observations = shape.observations(8)
            decodes = ActionCodec(shape.action_space, config).num_tokens > 1
            for fill in args.fills:
                prompt = prompt_for(shape, config, fill)
                make = lambda **kw: GatoAgent(  # noqa: E731
                    model, shape.observation_space, shape.action_space,
                    prompt=prompt, max_prompt_tokens=config.context_length, **kw,
                )
                runs, steps, threads = {}, {}, {}
                for t in args.threads:
                    configs = {"cached": make(), "recompute": make(use_cache=False)}
                    if args.compile and decodes:
                        configs["compiled"] = make(compile=True)
                        torch.set_num_threads(t)
                        configs["compiled"].act(observations[0])  # compiles (not timed)
                    torch.set_num_threads(t)
                    configs["cached"].act(observations[0])  # first-call allocations (not timed)
                    for name, agent in configs.items():
                        agent.reset()
                        runs[(name, t)] = cycling(agent, observations)
                        steps[(name, t)] = args.recompute_steps if name == "recompute" else args.steps
                        threads[(name, t)] = t
                times = interleave(runs, steps, threads)
                held = 0 if prompt is None else make().prompt.shape[1]
                for t in args.threads:
                    cached, cached_p90 = summary(times[("cached", t)])
                    plain, plain_p90 = summary(times[("recompute", t)])
                    row = f"| {preset} | {task} | {fill} ({held} of {config.context_length}) | {t} | "
                    row += f"{cached:.1f} / {cached_p90:.1f} | {1e3 / cached:.1f} | "
                    if args.compile:
                        if ("compiled", t) in times:
                            fast, fast_p90 = summary(times[("compiled", t)])
                            row += f"{fast:.1f} / {fast_p90:.1f} | {1e3 / fast:.1f} | "
                        else:
                            row += "- | - | "
                    row += f"{plain:.1f} / {plain_p90:.1f} | {1e3 / plain:.2f} | {plain / cached:.1f}x |"
                    print(row, flush=True)


def batch_table(args: BenchArgs, models: dict[str, Gato]) -> None:
    """Env-steps per second of `act` for batches of envs, by context fill."""
    print("\n### Batched envs (env-steps/s of the agent's time)\n")
    print("| preset | step | context at start | threads | envs | ms per act (median / p90) | env-steps/s | x one env |")
    print("|---|---|---|---|---|---|---|---|")
    for preset, model in models.items():
        config = model.config
        for task, fill in itertools.product(args.tasks, args.batch_fills):
            shape = SHAPES[task]
            prompt = prompt_for(shape, config, fill)
            runs, steps, threads = {}, {}, {}
            for t in args.threads:
                for n in args.num_envs:
                    agent = GatoAgent(
                        model, shape.observation_space, shape.action_space, num_envs=n,
                        prompt=prompt, max_prompt_tokens=config.context_length,
                    )
                    runs[(n, t)] = cycling(agent, shape.observations(4, batch=n))
                    runs[(n, t)]()  # first-call allocations (not timed)
                    steps[(n, t)] = args.batch_steps
                    threads[(n, t)] = t
            times = interleave(runs, steps, threads)
            for t in args.threads:
                one = None
                for n in args.num_envs:
                    median, p90 = summary(times[(n, t)])
                    rate = n * 1e3 / median
                    one = rate if n == 1 else one
                    gain = f"{rate / one:.1f}x" if one else "-"
                    print(f"| {preset} | {task} | {fill} | {t} | {n} | {median:.1f} / {p90:.1f} | {rate:.0f} | {gain} |", flush=True)


def bandwidth_table(args: BenchArgs, models: dict[str, Gato], calls: int = 20) -> None:
    """The one-token decode step at a full context against the time to stream the bytes it reads:
    the weights once per call, and each env's own keys and values."""
    print("\n### Decode step against its memory-bandwidth bound (full context)\n")
    print(
        "| preset | threads | envs | copy GB/s | weights MB | KV cache MB read | bound ms | "
        "measured ms (median / p90) | achieved fraction |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    bandwidth = {t: copy_bandwidth(t) for t in args.threads}
    for preset, model in models.items():
        config = model.config
        lo, hi = config.continuous_offset, config.continuous_offset + config.continuous_bins
        # every block weight, the final LayerNorm and the rows of one action dim's logits
        weights = sum(p.numel() * p.element_size() for p in [*model.blocks.parameters(), *model.ln_f.parameters()])
        weights += (hi - lo) * config.embed_dim * model.tokens.weight.element_size()
        length = config.context_length
        runs, caches = {}, {}
        for n in sorted({1, max(args.num_envs)}):
            g = torch.Generator().manual_seed(0)
            filler = TokenBatch(
                torch.randint(0, config.vocab_size, (n, length), generator=g), torch.zeros(n, length, dtype=torch.long),
                torch.zeros(n, length, dtype=torch.bool),
                torch.zeros(0, *input_shape(config)), torch.zeros(0, dtype=torch.long),
            )
            cache = caches[n] = model.new_cache(n, chunk=32)
            with torch.inference_mode():
                model.forward_cached(filler, cache)

            def decode(cache: KVCache = cache, ids: Tensor = torch.full((n,), lo)) -> None:
                with torch.inference_mode():
                    model.logits(model.decode(ids, cache, cache.reserve(1)), lo, hi)

            for t in args.threads:
                runs[(n, t)] = decode
        for run in runs.values():
            run()  # first-call allocations (not timed)
        times = interleave(runs, dict.fromkeys(runs, calls), {key: key[1] for key in runs})
        for (n, t), seconds in times.items():
            kv = caches[n].k.numel() * caches[n].k.element_size() * 2  # at a full context the whole ring is read
            bound = 1e3 * (weights + kv) / bandwidth[t]
            median, p90 = summary(seconds)
            print(
                f"| {preset} | {t} | {n} | {bandwidth[t] / 1e9:.1f} | {weights / 1e6:.1f} | {kv / 1e6:.1f} | {bound:.1f} | "
                f"{median:.1f} / {p90:.1f} | {bound / median:.2f} |",
                flush=True,
            )


def profile_table(args: BenchArgs, models: dict[str, Gato], steps: int = 10, rows: int = 12) -> None:
    """torch.profiler's top operators of the cached step at a full context: where the time goes."""
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(args.threads[0])
    for preset, model in models.items():
        for task in args.tasks:
            shape = SHAPES[task]
            prompt = prompt_for(shape, model.config, "full")
            agent = GatoAgent(
                model, shape.observation_space, shape.action_space, prompt=prompt,
                max_prompt_tokens=model.config.context_length,
            )
            run = cycling(agent, shape.observations(8))
            run()
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                start = time.perf_counter()
                for _ in range(steps):
                    run()
                wall = (time.perf_counter() - start) / steps
            print(f"\n### Profile: {preset}, {task} step, full context, {args.threads[0]} thread(s), {1e3 * wall:.1f} ms per step under the profiler\n")
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def main() -> None:
    """Measure every table of the command line and print them."""
    args = tyro.cli(BenchArgs, description=__doc__)
    if args.quick:
        args.steps, args.recompute_steps, args.batch_steps = max(2, args.steps // 2), 2, max(2, args.batch_steps // 2)
    load = os.getloadavg()
    print(
        f"torch {torch.__version__}, {os.cpu_count()} CPUs ({torch.backends.cpu.get_cpu_capability()}), fp32; "
        f"load average at start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)"
    )
    models = {}
    for preset in args.presets:
        torch.manual_seed(0)
        models[preset] = Gato(GatoConfig.from_name(preset)).eval()
    start = time.perf_counter()
    if args.profile:
        profile_table(args, models)
        return
    latency_table(args, models)
    batch_table(args, models)
    bandwidth_table(args, models)
    load = os.getloadavg()
    print(f"\n{time.perf_counter() - start:.0f} s; load average at end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


if __name__ == "__main__":
    main()
