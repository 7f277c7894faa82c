"""gato-eval under torchrun: the tasks x episodes of an evaluation split over the ranks.

    torchrun --nproc-per-node 4 -m rollouts.sharded --suite default --checkpoint ckpt/ --episodes 50 --out runs/eval
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 -m rollouts.sharded ...

The flags are gato-eval's. Each task's episodes are cut into contiguous blocks, one per rank, and
block j of task t goes to rank (t + j) % world_size, so that every rank gets a share of every
task. A rank runs its block [a, b) as gato-eval would run episodes a..b-1: episode k is reset with
seed `--seed + k`, so the seeds are those of a single-process run, and so are the returns for any
policy that acts on each episode alone (greedy GatoAgent, one env per task; sampling policies and
batches of sub-envs draw their randomness per process). Rank 0 gathers the episodes (gloo on CPU,
nccl on GPU, through gato_agent.distributed) and writes the one results.json, summary.md and chart;
results.json adds `world_size` and, per task, the rank that ran each episode (`episode_ranks`).
Videos (episodes 0 .. --video-episodes - 1) are recorded by the rank that runs episode 0 of a task,
into the same --out folder: on several nodes it must be a shared filesystem.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import tyro

from gato_agent.distributed import Distributed
from gato_agent.cli import UsageError
from rollouts.eval_args import EvalArgs, build_policy, check_args, out_dir, set_threads, task_ids
from rollouts.evaluate import PolicyFactory, evaluate
from rollouts.results import EvalResults, TaskResult, aggregate, summarize
from rollouts.families import aggregate_by_family
from rollouts.protocols import protocols
from rollouts.report import write_report

__all__ = ["Block", "plan", "evaluate_sharded", "main"]


@dataclass(frozen=True)
class Block:
    """Episodes [first, first + count) of one task, run by one rank."""

    task: str  # the task id
    first: int  # index (and seed offset) of the block's first episode
    count: int  # episodes in the block
    rank: int  # the rank that runs it


def plan(task_ids: list[str], episodes: int, world: int) -> list[Block]:
    """Every task's episodes cut into min(world, episodes) contiguous blocks (sizes differing by at
    most one), block j of task t assigned to rank (t + j) % world; in task, then episode order."""
    blocks = []
    for t, task in enumerate(task_ids):
        parts = min(world, episodes)
        first = 0
        for j in range(parts):
            count = episodes // parts + (j < episodes % parts)
            blocks.append(Block(task, first, count, (t + j) % world))
            first += count
    return blocks


def evaluate_sharded(policy: PolicyFactory, task_ids: list[str], args: EvalArgs, env: Distributed,
                     video_dir: Path | None) -> tuple[EvalResults, dict[str, list[int]]] | None:
    """Run this rank's blocks; on rank 0 -> the whole evaluation and each task's episode ranks
    (other ranks -> None)."""
    mine = []
    for block in plan(task_ids, args.episodes, env.world):
        if block.rank != env.rank:
            continue
        videos = video_dir if block.first == 0 else None
        part = evaluate(policy, [block.task], episodes=block.count, seed=args.seed + block.first, num_envs=args.num_envs,
                        max_episode_steps=args.max_episode_steps, video_dir=videos,
                        video_episodes=min(args.video_episodes, block.count), progress=args.progress, bootstrap_resamples=1,
                        vector=args.vector)
        mine.append((block, part.tasks[0]))
        if part.interrupted:
            break
    gathered = [pair for pairs in env.gather(mine) for pair in pairs]
    if not env.main:
        return None
    tasks, ranks = [], {}
    for task in task_ids:
        parts = sorted(((b, r) for b, r in gathered if b.task == task), key=lambda pair: pair[0].first)
        tasks.append(_merge(task, args.episodes, [r for _, r in parts]))
        ranks[task] = [b.rank for b, r in parts for _ in r.returns]
    results = EvalResults(args.seed, args.episodes, args.num_envs, args.max_episode_steps, tasks,
                          aggregate(tasks, 2000, args.seed), interrupted=any(t.status == "interrupted" for t in tasks),
                          aggregate_by_family=aggregate_by_family(tasks, 2000, args.seed), vector=args.vector)
    return results, ranks


def _merge(task: str, episodes: int, parts: list[TaskResult]) -> TaskResult:
    """One task's blocks (in episode order) as one TaskResult."""
    merged = TaskResult(env_id=task, status="not_run", episodes_requested=episodes)
    if not parts:
        return merged
    statuses = [p.status for p in parts]
    merged.status = next((s for s in ("error", "interrupted", "not_run") if s in statuses), "ok")
    merged.family, merged.make_kwargs = parts[0].family, parts[0].make_kwargs
    merged.num_envs = max(p.num_envs for p in parts)
    for p in parts:
        merged.seeds += p.seeds
        merged.returns += p.returns
        merged.lengths += p.lengths
        merged.videos += p.videos
        merged.wall_s = max(merged.wall_s, p.wall_s)  # the blocks ran side by side
        merged.video_error = merged.video_error or p.video_error
        merged.error, merged.traceback = merged.error or p.error, merged.traceback or p.traceback
        if p.successes is not None:
            merged.successes, merged.success_rule = (merged.successes or []) + p.successes, p.success_rule
    summarize(merged)
    return merged


def main(argv: list[str] | None = None) -> int:
    """torchrun entry point; exit status as gato-eval's (rank 0's; the other ranks return 0)."""
    args = tyro.cli(EvalArgs, args=argv, description=__doc__)
    env = Distributed("cpu")
    finished = False
    try:
        check_args(args)
        set_threads(args.threads)
        ids = task_ids(args)
        policy = build_policy(args)
        named: Path | UsageError | None = None
        if env.main:  # rank 0 names (and checks) the folder, and tells the others
            try:
                named = out_dir(args.out)
            except UsageError as exc:
                named = exc
        out = env.gather(named)[0]
        if isinstance(out, UsageError):
            raise out
        video_dir = out / "videos" if args.video and args.video_episodes > 0 else None
        run = evaluate_sharded(policy, ids, args, env, video_dir)
        finished = True
    except UsageError as exc:
        print(f"gato-eval: error: {exc}", file=sys.stderr)
        return 2
    finally:
        env.close(finished)
    if run is None:
        return 0
    results, ranks = run
    meta = {"command": ["torchrun", "-m", "rollouts.sharded", *(sys.argv[1:] if argv is None else argv)],
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(args).items()},
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "world_size": env.world, "episode_ranks": ranks,
            "protocols": protocols(ids)}
    paths = write_report(results, out, meta)
    print(paths["summary"].read_text())
    if results.interrupted:
        return 130
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
