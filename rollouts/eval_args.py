"""gato-eval's flags and what both of its runners (one process, rollouts.eval; one per rank,
rollouts.sharded) make of them: the task ids, the policy, the output folder, torch's threads."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro

import envs
from gato_agent.cli import UsageError, check_number, check_seed, make_out_dir
from gato_agent.runlock import LOCK_FILE
from rollouts.policies import PolicyError, PolicyFactory, PolicySpec, parse_policy, policy_factory

__all__ = ["EvalArgs", "task_ids", "check_args", "policy_spec", "build_policy", "task_spaces", "out_dir", "set_threads"]


@dataclass
class EvalArgs:
    """Evaluate a policy (Gato, a demonstrator, random, your own) on Gymnasium tasks; see the README."""

    env: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Task id, repeatable: any ALE/<Game>-v5, a MuJoCo v5 id (Ant, HalfCheetah, Hopper, Humanoid,
    HumanoidStandup, InvertedDoublePendulum, InvertedPendulum, Pusher, Reacher, Swimmer, Walker2d),
    any other registered Gymnasium id, or module:EnvId (imports module, which registers EnvId)."""
    env_kwargs: str | None = None
    """JSON object of keyword arguments for making every task, e.g. '{"reset_noise_scale": 0.2}'."""
    suite: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Named suite of tasks, repeatable, added after --env ones: 'default' (the embedded checkpoint's
    74: five Atari games, nine MuJoCo bodies, ten BabyAI levels, the 50 Meta-World tasks), 'atari57'
    (57 games), 'mujoco' (11 tasks), 'metaworld' (50 tasks), 'babyai' (every level BabyAI's bot
    solves)."""
    list_only: Annotated[bool, tyro.conf.arg(name="list")] = False
    """Print the task ids of --env and --suite, one a line, and exit (nothing is run)."""
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
    prompt: bool = True
    """A Gato policy acts after its checkpoint's prompt for the task (the end of a demonstration
    [2.4]); --no-prompt: on the episode alone."""
    progress: bool = True
    """Show a tqdm bar per task with episodes done and the running mean return."""
    device: str = "cpu"
    """Where a Gato policy acts: cpu, cuda, cuda:N or mps (one this machine lacks is a usage error)."""
    dtype: str = "float32"
    """The type a Gato policy's matrix products run in while acting: float32, bfloat16 or float16."""
    vector: Literal["sync", "async"] = "sync"
    """sync: the --num-envs sub-envs step in this process; async: each in its own process (same
    returns; not for --policy expert on tasks whose demonstrator looks inside the env)."""
    threads: int | None = None
    """torch CPU threads; default: 1 on machines with at most 2 cores (more threads there make
    the model up to 50x slower while anything else runs), else torch's own choice."""
    debug: bool = False
    """Print the traceback of a failure too (without it, a bad input is one line)."""


def task_ids(args: EvalArgs) -> list[str]:
    """--env's ids then --suite's, each once; UsageError for an unknown one."""
    ids = list(args.env)
    names = [args.suite] if isinstance(args.suite, str) else args.suite  # one name: EvalArgs built in code
    try:
        ids += envs.suites(names)
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


def check_args(args: EvalArgs) -> None:
    """UsageError for a flag value out of range."""
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
    from gato_agent.device import resolve_device, resolve_dtype

    try:
        resolve_device(args.device)
    except ValueError as exc:
        raise UsageError(f"--device: {exc}") from None
    try:
        resolve_dtype(args.dtype)
    except ValueError as exc:
        raise UsageError(f"--dtype: {exc}") from None


def policy_spec(args: EvalArgs) -> PolicySpec:
    """--policy (and --checkpoint) parsed; UsageError when it is not a policy."""
    try:
        return parse_policy(args.policy, args.checkpoint)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


def build_policy(args: EvalArgs, task_ids: list[str] | None = None,
                 task_spaces: dict[str, tuple[Any, Any]] | None = None) -> PolicyFactory:
    """The per-task policy factory for args; UsageError when the spec cannot serve (no checkpoint,
    a module that does not import, a task without a demonstrator for --policy expert, a checkpoint
    not trained on a task or on its spaces, `task_spaces`: task id -> (observation, action space))."""
    spec = policy_spec(args)
    if args.as_task is not None and spec.kind != "gato":
        raise UsageError(f"--as-task names a task of a Gato checkpoint to play as; --policy {spec} is no checkpoint")
    if spec.kind == "expert":
        from envs.demonstrators import demonstrator_ids, has_demonstrator

        missing = [t for t in task_ids or [] if not has_demonstrator(t)]
        if missing:
            raise UsageError(f"--policy expert: no demonstrator for {', '.join(missing)}; "
                             f"demonstrators exist for: {', '.join(demonstrator_ids())}")
    try:
        return policy_factory(spec, args.seed, args.temperature, device=args.device, dtype=args.dtype,
                              task_ids=task_ids or (), as_task=args.as_task, task_spaces=task_spaces, prompt=args.prompt)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


def task_spaces(task_ids: list[str], env_kwargs: dict[str, Any], text: str | None) -> dict[str, tuple[Any, Any]]:
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


def out_dir(out: Path | None) -> Path:
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


def set_threads(threads: int | None) -> None:
    """--threads into torch; default 1 on machines with at most 2 cores."""
    import torch

    if threads is None and (os.cpu_count() or 1) <= 2:
        threads = 1
    if threads is not None:
        if threads < 1:
            raise UsageError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)

