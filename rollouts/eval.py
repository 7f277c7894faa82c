"""gato-eval: roll a policy out on Atari / MuJoCo / Gymnasium tasks and record its scores.

Examples::

    gato-eval --env ALE/Breakout-v5 --env HalfCheetah-v5 --episodes 10 --num-envs 4 --out runs/eval1
    gato-eval --suite default --policy gato:ckpt/
    gato-eval --env Hopper-v5 --policy random
    gato-eval --env InvertedPendulum-v5 --policy expert
    gato-eval --env mypkg.envs:Maze-v0 --env-kwargs '{"size": 9}' --policy mypkg.policies:solve

Writes into the output folder: results.json (settings, per-task returns, lengths, seeds, time
limits, normalized scores, steps/s, errors; rliable's IQM, mean, median and optimality gap with
stratified-bootstrap 95% CIs), summary.md, scores.png and with --video videos/<task>-ep000.mp4.

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
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import tyro

import envs
from gato_agent.cli import RunFailed, UsageError, check_number, check_seed, make_out_dir, run_command
from gato_agent.runlock import LOCK_FILE, FolderLock
from rollouts.evaluate import EvalResults, evaluate
from rollouts.policies import PolicyError, PolicyFactory, PolicySpec, parse_policy, policy_factory
from rollouts.report import RESULTS_FILE, summary_markdown, write_report

__all__ = ["EvalArgs", "UsageError", "build_policy", "main", "run"]


@dataclass
class EvalArgs:
    """Evaluate a policy (Gato, a demonstrator, random, your own) on Gymnasium tasks; see the README."""

    env: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Task id, repeatable: any ALE/<Game>-v5, a MuJoCo v5 id (Ant, HalfCheetah, Hopper, Humanoid,
    HumanoidStandup, InvertedDoublePendulum, InvertedPendulum, Pusher, Reacher, Swimmer, Walker2d),
    any other registered Gymnasium id, or module:EnvId (imports module, which registers EnvId)."""
    env_kwargs: str | None = None
    """JSON object of keyword arguments for making every task, e.g. '{"reset_noise_scale": 0.2}'."""
    suite: str | None = None
    """Named suite of tasks, added after --env ones. 'default' = Breakout, Pong, InvertedPendulum,
    InvertedDoublePendulum, Reacher, HalfCheetah, Hopper, BabyAI GoToRedBall and GoToLocal;
    'babyai' = the two BabyAI levels."""
    policy: str = "gato"
    """gato (the checkpoint embedded in the package), gato:PATH (a checkpoint folder; also
    checkpoint:PATH), expert (the task's demonstrator), random, or module:callable (a function
    obs -> action, or an object with act(obs) and optional reset())."""
    checkpoint: Path | None = None
    """Old spelling of --policy gato:PATH."""
    as_task: str | None = None
    """A Gato checkpoint plays only the tasks it was trained on; --as-task T plays every --env as its
    task T instead (a borrowed prompt and spaces, which must equal the env's), e.g. Walker2d-v5 as HalfCheetah-v5."""
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
    """Cap on steps per episode, for tests and quick looks: the limit is the smaller of the task's
    own and this (results.json records both)."""
    temperature: float = 0.0
    """Sampling temperature of a Gato policy; 0 = greedy (deterministic)."""
    progress: bool = True
    """Show a tqdm bar per task with episodes done and the running mean return."""
    threads: int | None = None
    """torch CPU threads; default: 1 on machines with at most 2 cores (more threads there make
    the model up to 50x slower while anything else runs), else torch's own choice."""
    debug: bool = False
    """Print the traceback of a failure too (without it, a bad input is one line)."""


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
    check_number("--temperature", args.temperature, low=0)
    check_seed("--seed", args.seed)


def _policy_spec(args: EvalArgs) -> PolicySpec:
    try:
        return parse_policy(args.policy, args.checkpoint)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


def build_policy(args: EvalArgs, task_ids: list[str] | None = None,
                 task_spaces: dict[str, tuple[Any, Any]] | None = None) -> PolicyFactory:
    """The per-task policy factory for args; UsageError when the spec cannot serve (no checkpoint,
    a module that does not import, a task without a demonstrator for --policy expert, a checkpoint
    not trained on a task or on its spaces, `task_spaces`: task id -> (observation, action space))."""
    spec = _policy_spec(args)
    if args.as_task is not None and spec.kind != "gato":
        raise UsageError(f"--as-task names a task of a Gato checkpoint to play as; --policy {spec} is no checkpoint")
    if spec.kind == "expert":
        from envs.demonstrators import demonstrator_ids, has_demonstrator

        missing = [t for t in task_ids or [] if not has_demonstrator(t)]
        if missing:
            raise UsageError(f"--policy expert: no demonstrator for {', '.join(missing)}; "
                             f"demonstrators exist for: {', '.join(demonstrator_ids())}")
    try:
        return policy_factory(spec, args.seed, args.temperature, task_ids=task_ids or (), as_task=args.as_task,
                              task_spaces=task_spaces)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


def _task_spaces(task_ids: list[str], env_kwargs: dict[str, Any], text: str | None) -> dict[str, tuple[Any, Any]]:
    """Each task's (observation, action) space, from one env made up front, so that bad input is found
    before any work as gato-collect finds it: kwargs a task does not take (UsageError), and a checkpoint
    of other spaces (build_policy). A task that fails to build otherwise is left to fail as that task."""
    found = {}
    for task_id in task_ids:
        try:
            env = envs.make(task_id, **env_kwargs)
        except (TypeError, ValueError) as exc:
            if env_kwargs:
                raise UsageError(f"--env-kwargs {text} for {task_id}: {exc}") from None
            continue
        except Exception:  # a missing extra, a crashing env: reported as that task's error by the run
            continue
        found[task_id] = (env.observation_space, env.action_space)
        env.close()
    return found


def _out_dir(out: Path | None) -> Path:
    """The output folder, created: --out (new or empty) or a fresh runs/eval-<UTC time>; UsageError
    when it holds files or cannot be created."""
    if out is not None:
        if out.is_dir() and any(p.name != LOCK_FILE for p in out.iterdir()):
            raise UsageError(f"--out {out} already exists and is not empty; gato-eval never overwrites a run: pick another --out")
        return make_out_dir(out)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base = Path("runs") / f"eval-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return make_out_dir(candidate)


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
    try:
        env_kwargs = envs.parse_make_kwargs(args.env_kwargs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    spec = _policy_spec(args)
    spaces = _task_spaces(task_ids, env_kwargs, args.env_kwargs) if env_kwargs or spec.kind == "gato" else {}
    policy = build_policy(args, task_ids, spaces)
    out = _out_dir(args.out)
    with FolderLock(out, "gato-eval"):  # one process per results folder
        if any(p.name != LOCK_FILE for p in out.iterdir()):  # another gato-eval finished in it meanwhile
            raise UsageError(f"--out {out} already exists and is not empty; gato-eval never overwrites a run: pick another --out")
        return _run_into(out, args, argv, spec, policy, task_ids, env_kwargs)


def _run_into(out: Path, args: EvalArgs, argv: list[str] | None, spec: PolicySpec, policy: PolicyFactory,
              task_ids: list[str], env_kwargs: dict[str, Any]) -> int:
    """run's rollouts and report, into the locked, empty folder `out`."""
    meta = {
        "command": ["gato-eval", *(argv if argv is not None else sys.argv[1:])],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "policy": str(spec),
        "checkpoint": (spec.target or "embedded") if spec.kind == "gato" else None,
        "env_kwargs": env_kwargs,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
    }
    report = _Report(out, meta)
    results = evaluate(
        policy,
        task_ids,
        episodes=args.episodes,
        seed=args.seed,
        num_envs=args.num_envs,
        max_episode_steps=args.max_episode_steps,
        env_kwargs=env_kwargs,
        video_dir=out / "videos" if args.video and args.video_episodes > 0 else None,
        video_episodes=args.video_episodes,
        progress=args.progress,
        on_task_end=report.save,  # each task's results on disk as it ends: survives a hard kill
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
