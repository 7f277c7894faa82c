"""Peak memory of `gato-train --steps 2` against the dataset's size: a dataset and the same one 10x larger.

    python benchmarks/data_memory.py                      # 8 and 80 Humanoid-like episodes of 1,000 steps
    python benchmarks/data_memory.py --episodes 4 40 --steps-per-episode 500 --workers 2

Writes synthetic Minari datasets shaped like Humanoid-v5 (348 float64 observations, 17 actions in
[-0.4, 0.4]) under a temporary MINARI_DATASETS_PATH, then runs gato-train (tiny preset, batch 16)
in a fresh process per dataset and prints each one's peak resident memory (ru_maxrss of that
process; with --workers, the workers' own memory is not in it) and the ratio to the smallest.
Episodes are read when first sampled and kept in a cache of --cache-mb (gato_agent.episodes), so
the peak should not follow the dataset's size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

OBS, ACT = 348, 17  # Humanoid-v5's observation and action sizes

_CHILD = """
import resource, sys
from rollouts.train import main
code = main(sys.argv[1:])
print("PEAK_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def write_dataset(root: Path, name: str, episodes: int, steps: int) -> Path:
    """A Minari dataset of `episodes` random Humanoid-shaped episodes of `steps` steps; its folder."""
    import os

    import minari
    from gymnasium import spaces
    from minari.data_collector import EpisodeBuffer

    os.environ["MINARI_DATASETS_PATH"] = str(root)
    rng = np.random.default_rng(0)
    obs_space = spaces.Box(-np.inf, np.inf, (OBS,), np.float64)
    act_space = spaces.Box(-0.4, 0.4, (ACT,), np.float32)
    dataset = None
    for i in range(episodes):  # one episode a write, so the writer's memory stays small too
        buffer = EpisodeBuffer(
            id=i, seed=i, observations=rng.standard_normal((steps + 1, OBS)),
            actions=rng.uniform(-0.4, 0.4, (steps, ACT)).astype(np.float32), rewards=rng.random(steps),
            terminations=np.zeros(steps, bool), truncations=np.r_[np.zeros(steps - 1, bool), True],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if dataset is None:
                dataset = minari.create_dataset_from_buffers(name, [buffer], observation_space=obs_space,
                                                             action_space=act_space)
            else:
                dataset.update_dataset_from_buffer([buffer])
    return root / name


def peak_mb(dataset: Path, out: Path, args: argparse.Namespace) -> float:
    """Peak RSS in MiB of a fresh process running gato-train --steps 2 on `dataset`."""
    flags = ["--dataset", str(dataset), "--config", "tiny", "--steps", "2", "--batch-size", str(args.batch_size),
             "--out", str(out), "--no-progress", "--threads", "1", "--warmup-steps", "1"]
    if not args.before:
        flags += ["--workers", str(args.workers), "--cache-mb", str(args.cache_mb)]
    run = subprocess.run([sys.executable, "-c", _CHILD, *flags], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"gato-train failed on {dataset}: {run.stderr.strip()[-500:]}")
    line = next(line for line in run.stdout.splitlines() if line.startswith("PEAK_KB"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, nargs="+", default=[8, 80], help="dataset sizes, in episodes")
    parser.add_argument("--steps-per-episode", type=int, default=1000)
    parser.add_argument("--cache-mb", type=int, default=512, help="gato-train --cache-mb")
    parser.add_argument("--workers", type=int, default=0, help="gato-train --workers")
    parser.add_argument("--batch-size", type=int, default=16, help="gato-train --batch-size")
    parser.add_argument("--before", action="store_true",
                        help="the gato-train on PYTHONPATH predates --cache-mb and --workers (to measure an older tree)")
    args = parser.parse_args()
    tail = "" if args.before else f" --cache-mb {args.cache_mb} --workers {args.workers}"
    print(f"gato-train --config tiny --steps 2 --batch-size {args.batch_size}{tail}; "
          f"Humanoid-shaped episodes of {args.steps_per_episode} steps")
    print()
    print("| episodes | dataset on disk | peak RSS | / smallest |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        first = None
        for n in args.episodes:
            folder = write_dataset(Path(tmp) / "minari", f"synthetic/humanoid-{n}-v0", n, args.steps_per_episode)
            disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
            peak = peak_mb(folder, Path(tmp) / f"run-{n}", args)
            first = first or peak
            print(f"| {n} | {disk:,.0f} MiB | {peak:,.0f} MiB | {peak / first:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
