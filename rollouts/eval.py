"""gato-eval: roll a policy out on Atari / MuJoCo / Gymnasium tasks and record its scores.

Examples::

    gato-eval --env ALE/Breakout-v5 --env HalfCheetah-v5 --episodes 10 --num-envs 4 --out runs/eval1
    gato-eval --suite default --policy gato:ckpt/
    gato-eval --env Hopper-v5 --policy random
    gato-eval --env InvertedPendulum-v5 --policy expert
    gato-eval --env mypkg.envs:Maze-v0 --env-kwargs '{"size": 9}' --policy mypkg.policies:solve
    gato-eval --suite atari57 --list
    gato-eval --suite mujoco --suite metaworld --policy gato:ckpt/ --device cuda --vector async

Writes into the output folder: results.json (settings, per-task returns, lengths, seeds, time
limits, normalized scores, steps/s, errors; rliable's IQM, mean, median and optimality gap with
stratified-bootstrap 95% CIs, pooled and per task family; success rates where the env reports
success; the Atari protocol and each reference score's source and protocol), summary.md,
scores.png and with --video videos/<task>-ep000.mp4.

Exit status (gato_agent.cli): 0 when every task finished; 1 when a task failed (one line per
failed task; its error and traceback are in results.json and the other tasks still ran); 2 for a
usage error (bad flag value, unknown env id, missing or damaged checkpoint, unusable --out); 130
after Ctrl-C (the results gathered so far are written first). --debug prints tracebacks too.

--out never overwrites: an existing non-empty folder is an error (exit 2). Without --out
each run gets a fresh runs/eval-<UTC date>-<time> folder.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import tyro

import envs
from gato_agent.cli import RunFailed, UsageError, run_command
from gato_agent.runlock import LOCK_FILE, FolderLock
from rollouts.eval_args import (EvalArgs, build_policy, check_args, out_dir, policy_spec, set_threads, task_ids,
                                task_spaces)
from rollouts.evaluate import EvalResults, evaluate
from rollouts.policies import PolicyFactory, PolicySpec
from rollouts.protocols import protocols
from rollouts.report import RESULTS_FILE, summary_markdown, write_report

__all__ = ["EvalArgs", "UsageError", "build_policy", "main", "run"]


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("gato-agent", "gymnasium", "ale-py", "mujoco", "torch", "numpy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def run(args: EvalArgs, argv: list[str] | None = None) -> int:
    """Run the evaluation described by args, write the report, return the exit status."""
    ids = task_ids(args)
    if args.list_only:
        print("\n".join(ids))
        return 0
    check_args(args)
    set_threads(args.threads)
    try:
        env_kwargs = envs.parse_make_kwargs(args.env_kwargs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    spec = policy_spec(args)
    spaces = task_spaces(ids, env_kwargs, args.env_kwargs) if env_kwargs or spec.kind == "gato" else {}
    policy = build_policy(args, ids, spaces)
    out = out_dir(args.out)
    with FolderLock(out, "gato-eval"):  # one process per results folder
        if any(p.name != LOCK_FILE for p in out.iterdir()):  # another gato-eval finished in it meanwhile
            raise UsageError(f"--out {out} already exists and is not empty; gato-eval never overwrites a run: pick another --out")
        return _run_into(out, args, argv, spec, policy, ids, env_kwargs)


def _run_into(out: Path, args: EvalArgs, argv: list[str] | None, spec: PolicySpec, policy: PolicyFactory,
              ids: list[str], env_kwargs: dict[str, Any]) -> int:
    """run's rollouts and report, into the locked, empty folder `out`."""
    meta = {
        "command": ["gato-eval", *(argv if argv is not None else sys.argv[1:])],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "policy": str(spec),
        "checkpoint": (spec.target or "embedded") if spec.kind == "gato" else None,
        "env_kwargs": env_kwargs,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "device": args.device,
        "dtype": args.dtype,
        "protocols": protocols(ids, env_kwargs),
        "versions": _versions(),
    }
    report = _Report(out, meta)
    results = evaluate(
        policy,
        ids,
        episodes=args.episodes,
        seed=args.seed,
        num_envs=args.num_envs,
        max_episode_steps=args.max_episode_steps,
        env_kwargs=env_kwargs,
        video_dir=out / "videos" if args.video and args.video_episodes > 0 else None,
        video_episodes=args.video_episodes,
        progress=args.progress,
        on_task_end=report.save,  # each task's results on disk as it ends: survives a hard kill
        vector=args.vector,
        device=args.device if spec.kind == "gato" else None,
    )
    paths = report.save(results)
    print(paths["summary"].read_text())
    print(f"wrote {paths['results']}, {paths['summary']}, {paths['plot']}")
    if results.interrupted:
        print(f"gato-eval: interrupted: the results above are partial ({paths['results']} holds the tasks that "
              "finished); run the command again with another --out to evaluate them all", file=sys.stderr)
        return 130
    if results.failed:
        for task in results.failed:
            print(f"gato-eval: {task.env_id} failed (--policy {spec}): {(task.error or '').splitlines()[0]}", file=sys.stderr)
        names = ", ".join(t.env_id for t in results.failed)
        print(f"gato-eval: {len(results.failed)} task(s) failed: {names} (errors in {paths['results']})", file=sys.stderr)
        return 1
    return 0


class _Report:
    """Writes the report into `out` as tasks end. A write that fails (a full disk, a folder made
    read-only) prints the results it could not save and stops the run with one line naming the file
    (exit 1); the report written after the tasks before it stays on disk."""

    def __init__(self, out: Path, meta: dict[str, Any]):
        self.out, self.meta = out, meta
        self.saved: list[str] = []  # the tasks of the report on disk

    def save(self, results: EvalResults) -> dict[str, Path]:
        done = [t.env_id for t in results.tasks if t.status != "not_run"]
        try:
            paths = write_report(results, self.out, self.meta)
        except OSError as e:
            print(summary_markdown(results, self.meta))
            name = re.sub(r"^\.(.+)\.\d+\.tmp$", r"\1", Path(e.filename or RESULTS_FILE).name)  # atomic's temporary name
            kept = (f"{self.out / RESULTS_FILE} holds the results of {', '.join(self.saved)}" if self.saved
                    else "nothing was saved")
            raise RunFailed(f"cannot write {self.out / name} ({e.strerror or e}); the results of {', '.join(done)} "
                            f"are printed above; {kept}; free some space (or pick a writable --out) and run again") from None
        self.saved = done
        return paths


def main(argv: list[str] | None = None) -> int:
    """Entry point of gato-eval; returns the exit status (also raised as SystemExit by the script).
    Under torchrun (WORLD_SIZE > 1) the episodes are sharded over the ranks (rollouts.sharded)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        from rollouts.sharded import main as sharded

        return sharded(argv)
    args = tyro.cli(EvalArgs, args=argv, description=__doc__)
    return run_command("gato-eval", lambda: run(args, argv), args.debug)


if __name__ == "__main__":
    sys.exit(main())
