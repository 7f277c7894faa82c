"""How fast gato-train's batches are built: from the episode cache or from the files, in the
training process or in DataLoader workers.

    python benchmarks/batches.py                       # 40 Humanoid-like episodes of 1,000 steps
    python benchmarks/batches.py --workers 0 2 4 --batches 40

Writes a synthetic Minari dataset (benchmarks/data_memory.py's Humanoid-shaped episodes), then
times micro-batches of --batch-size sequences (tiny preset, context 1,024) with a cache that holds
every episode ("warm": each read once, then kept; timed after one pass over them) and one of 0 bytes
("none": it keeps only the last episode read, so nearly every sequence reads and tokenizes its
whole episode from the HDF5 file).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data_memory import write_dataset  # noqa: E402

from gato_agent import GatoConfig  # noqa: E402
from gato_agent.batches import MicroBatches  # noqa: E402
from gato_agent.data import SequenceSampler, load_task  # noqa: E402


def rate(path: Path, config: GatoConfig, cache_bytes: int, workers: int, args: argparse.Namespace) -> float:
    """Micro-batches per second over args.batches, after a warm-up pass."""
    task = load_task(path, config, cache_bytes=cache_bytes)
    if cache_bytes:
        for i in range(len(task.episodes)):  # fill the cache, in this process (workers inherit it by fork)
            task.episodes[i]
    stream = MicroBatches(SequenceSampler([task], None, config.context_length, seed=0), args.batch_size, workers)
    next(stream)  # workers started, first batch built
    start = time.perf_counter()
    for _ in range(args.batches):
        next(stream)
    seconds = time.perf_counter() - start
    stream.close()
    return args.batches / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--steps-per-episode", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=20, help="timed micro-batches per row")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    config = GatoConfig.tiny()
    print(f"{args.episodes} Humanoid-shaped episodes of {args.steps_per_episode} steps; micro-batches of "
          f"{args.batch_size} x {config.context_length} tokens")
    print()
    print("| cache | workers | micro-batches/s | sequences/s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dataset(Path(tmp) / "minari", "synthetic/humanoid-v0", args.episodes, args.steps_per_episode)
        for label, cache in (("warm", 2**40), ("none", 0)):
            for workers in args.workers:
                r = rate(path, config, cache, workers, args)
                print(f"| {label} | {workers} | {r:.2f} | {r * args.batch_size:.1f} |", flush=True)


if __name__ == "__main__":
    main()
