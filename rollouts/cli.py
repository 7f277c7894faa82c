"""gato-eval: roll a policy out on Atari / MuJoCo / Gymnasium tasks and record its scores.

Examples::

    gato-eval --env ALE/Breakout-v5 --env HalfCheetah-v5 --episodes 10 --num-envs 4 --out runs/eval1
    gato-eval --suite default --checkpoint ckpt/
    gato-eval --env Hopper-v5 --policy random

Writes into the output folder: results.json (settings, per-task returns, lengths, seeds,
normalized scores, steps/s, errors; the aggregate IQM and mean with bootstrap 95% CIs),
summary.md, scores.png and with --video videos/<task>-ep000.mp4.

Exit status: 0 when every task finished; 1 when a task failed (its error is in results.json and
the other tasks still ran); 2 for a usage error (bad flag value, unknown env id, missing
checkpoint); 130 after Ctrl-C (the results gathered so far are written first).

--out never overwrites: an existing non-empty folder is an error (exit 2). Without --out
each run gets a fresh runs/eval-<UTC date>-<time> folder.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

import envs
from rollouts.evaluate import PolicyFactory, RandomPolicy, evaluate
from rollouts.report import write_report

__all__ = ["EvalArgs", "UsageError", "build_policy", "main", "run"]


@dataclass
class EvalArgs:
    """Evaluate a Gato checkpoint (or a random policy) on Gymnasium tasks; see the README."""

    env: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Task id, repeatable: any ALE/<Game>-v5, a MuJoCo v5 id (Ant, HalfCheetah, Hopper, Humanoid,
    HumanoidStandup, InvertedDoublePendulum, InvertedPendulum, Pusher, Reacher, Swimmer, Walker2d),
    or any other registered Gymnasium id."""
    suite: str | None = None
    """Named suite of tasks, added after --env ones. 'default' = Breakout, Pong, InvertedPendulum,
    InvertedDoublePendulum, Reacher, HalfCheetah, Hopper."""
    checkpoint: Path | None = None
    """Checkpoint folder saved by GatoAgent.save_pretrained; default: the one embedded in the
    package (an error while none ships)."""
    policy: Literal["gato", "random"] = "gato"
    """'gato': the checkpoint's GatoAgent; 'random': uniformly random actions (reference rollouts)."""
    episodes: int = 10
    """Episodes per task, fixed up front (the paper uses 50)."""
    num_envs: int = 1
    """Envs stepped in lock-step per task (the agent acts on the batch); at most --episodes."""
    seed: int = 0
    """Base seed: episode k of each task is reset with seed + k; also seeds sampling and bootstrap."""
    out: Path | None = None
    """Output folder (must not exist or be empty); default: a fresh runs/eval-<UTC time> folder."""
    video: bool = True
    """Record an mp4 of the first --video-episodes episodes of each task (MuJoCo: offscreen)."""
    video_episodes: int = 1
    """How many episodes per task to record when --video is on."""
    max_episode_steps: int | None = None
    """Cap on steps per episode (a truncation), for tests and quick looks; default: the task's own."""
    temperature: float = 0.0
    """Sampling temperature of the Gato policy; 0 = greedy (deterministic)."""
    progress: bool = True
    """Show a tqdm bar per task with episodes done and the running mean return."""
    threads: int | None = None
    """torch CPU threads; default: 1 on machines with at most 2 cores (more threads there make
    the model up to 50x slower while anything else runs), else torch's own choice."""


class UsageError(ValueError):
    """A bad flag combination or value; reported as 'gato-eval: error: ...' with exit status 2."""


def _task_ids(args: EvalArgs) -> list[str]:
    ids = list(args.env)
    if args.suite is not None:
        try:
            ids += envs.suite(args.suite)
        except ValueError as exc:
            raise UsageError(f"--suite: {exc}") from None
    ids = list(dict.fromkeys(ids))  # each task once, in the order first named
    if not ids:
        raise UsageError("no task given: pass --env ID (repeatable) and/or --suite NAME")
    for task_id in ids:
        try:
            envs.task_family(task_id)
        except envs.UnknownTaskError as exc:
            raise UsageError(f"--env: {exc}") from None
    return ids


def _check(args: EvalArgs) -> None:
    if args.episodes < 1:
        raise UsageError(f"--episodes must be >= 1, got {args.episodes}")
    if args.num_envs < 1:
        raise UsageError(f"--num-envs must be >= 1, got {args.num_envs}")
    if args.video_episodes < 0:
        raise UsageError(f"--video-episodes must be >= 0, got {args.video_episodes}")
    if args.max_episode_steps is not None and args.max_episode_steps < 1:
        raise UsageError(f"--max-episode-steps must be >= 1, got {args.max_episode_steps}")
    if args.temperature < 0:
        raise UsageError(f"--temperature must be >= 0, got {args.temperature}")
    if args.policy == "random" and args.checkpoint is not None:
        raise UsageError("--checkpoint is only used with --policy gato")


def build_policy(args: EvalArgs) -> PolicyFactory:
    """The per-task policy factory for args; raises UsageError when no checkpoint can be found."""
    if args.policy == "random":
        return RandomPolicy.factory(args.seed)
    try:
        from gato_agent import GatoAgent
        from gato_agent.checkpoint import load_checkpoint
    except ImportError as exc:
        raise UsageError(f"--policy gato needs the gato_agent package, which failed to import: {exc}") from None
    if args.checkpoint is not None and not args.checkpoint.is_dir():
        raise UsageError(
            f"--checkpoint {args.checkpoint}: no such folder (expected one saved by GatoAgent.save_pretrained)"
        )
    try:  # loaded once, before any task runs; a missing or broken checkpoint is a usage error
        checkpoint = load_checkpoint(args.checkpoint)
    except FileNotFoundError as exc:
        raise UsageError(f"{exc}; or use --policy random") from None
    except ValueError as exc:
        raise UsageError(f"--checkpoint: {exc}") from None

    def factory(task_id: str, observation_space: Any, action_space: Any, num_envs: int) -> Any:
        # A task stored under the env id is taken by name (tasks may share spaces, e.g. Atari
        # games with the same action count); otherwise the one whose spaces match; a model-only
        # checkpoint takes the env's spaces. A mismatch is a ValueError recorded for this task.
        chosen = checkpoint.select(
            task_id if task_id in checkpoint.tasks else None, observation_space, action_space
        )
        return GatoAgent(
            checkpoint.model,
            chosen.observation_space,
            chosen.action_space,
            num_envs=num_envs,
            temperature=args.temperature,
            seed=args.seed,
            prompt=chosen.prompt,
            text_tokenizer=checkpoint.text_tokenizer,
        )

    return factory


def _out_dir(out: Path | None) -> Path:
    if out is not None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(f"--out {out} already exists and is not empty; gato-eval never overwrites a run: pick another --out")
        return out
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = Path("runs") / f"eval-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("gato-agent", "gymnasium", "ale-py", "mujoco", "torch", "numpy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def _set_threads(threads: int | None) -> None:
    import torch

    if threads is None and (os.cpu_count() or 1) <= 2:
        threads = 1
    if threads is not None:
        if threads < 1:
            raise UsageError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)


def run(args: EvalArgs, argv: list[str] | None = None) -> int:
    """Run the evaluation described by args, write the report, return the exit status."""
    _check(args)
    _set_threads(args.threads)
    task_ids = _task_ids(args)
    policy = build_policy(args)
    out = _out_dir(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": ["gato-eval", *(argv if argv is not None else sys.argv[1:])],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "policy": args.policy,
        "checkpoint": None if args.policy == "random" else str(args.checkpoint or "embedded"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
    }
    results = evaluate(
        policy,
        task_ids,
        episodes=args.episodes,
        seed=args.seed,
        num_envs=args.num_envs,
        max_episode_steps=args.max_episode_steps,
        video_dir=out / "videos" if args.video and args.video_episodes > 0 else None,
        video_episodes=args.video_episodes,
        progress=args.progress,
        on_task_end=lambda partial: write_report(partial, out, meta),  # survives a hard kill
    )
    paths = write_report(results, out, meta)
    print(paths["summary"].read_text())
    print(f"wrote {paths['results']}, {paths['summary']}, {paths['plot']}")
    if results.interrupted:
        print("interrupted: the results above are partial", file=sys.stderr)
        return 130
    if results.failed:
        names = ", ".join(t.env_id for t in results.failed)
        print(f"gato-eval: {len(results.failed)} task(s) failed: {names} (errors in {paths['results']})", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of gato-eval; returns the exit status (also raised as SystemExit by the script)."""
    args = tyro.cli(EvalArgs, args=argv, description=__doc__)
    try:
        return run(args, argv)
    except UsageError as exc:
        print(f"gato-eval: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
