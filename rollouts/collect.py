"""gato-collect: record behaviour-cloning datasets as Minari datasets (HDF5), losing nothing.

    gato-collect --env HalfCheetah-v5 --policy expert --episodes 200 --out data/halfcheetah-expert-v0
    gato-collect --env ALE/Pong-v5 --policy checkpoint:ckpt/ --episodes 50 --out data/pong-gato-v0
    gato-collect --env Reacher-v5 --policy mypkg.mymodule:my_policy --episodes 100 --out data/reacher-v0

How "each finished episode is on disk at once" meets Minari's format
--------------------------------------------------------------------
Minari keeps a whole dataset in one HDF5 file, and HDF5 is not crash-safe, so ``--out`` holds
two things: ``episodes/``, the journal and source of truth (:mod:`rollouts.journal`: one
crash-safe file per finished episode, in Minari's group layout), and ``data/``, the Minari
dataset assembled from it when the run ends, also on Ctrl-C (:mod:`rollouts.minari_export`).

``collect.json`` records what the directory is (task, make kwargs, policy, seed, return filter). A
rerun with the same arguments resumes after the last journal entry and stops at ``--episodes``
kept episodes; a rerun with other arguments, an ``--out`` of another env, a gap or an unreadable
file in the journal are errors that name the problem, never silently extended.

Observations may be any nest (Dict, Tuple) of Box, Discrete, MultiDiscrete, MultiBinary and Text
spaces, the spaces GatoAgent reads (Text as UTF-8 strings, as Minari stores it, e.g. BabyAI's
mission). Atari screens are stored losslessly with HDF5's gzip filter.

``--num-envs N`` rolls N episodes side by side (one env each, the policies acting for all of them
in one batch; :mod:`rollouts.recording`); an episode is written once every lower one is, so the journal never has a gap.

Load a dataset with ``minari.MinariDataset("<out>/data")``, or with ``MINARI_DATASETS_PATH`` set
to the parent of ``<out>``, ``minari.load_dataset("<name of out>")``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import tyro
from gymnasium import spaces

import envs
from gato_agent.atomic import write_atomic
from gato_agent.cli import RunFailed, UsageError, check_number, check_seed, run_command
from gato_agent.device import resolve_device, resolve_dtype
from gato_agent.runlock import LOCK_FILE, FolderLock
from rollouts.actions import ActionChecker
from rollouts.collect_args import CollectConfig
from rollouts.journal import CollectError, check_storable
from rollouts.minari_export import DATA, JOURNAL
from rollouts.policies import Policy, PolicyError, parse_policy, policy_factory
from rollouts.recording import CollectResult, record

__all__ = ["ActionChecker", "CollectConfig", "CollectError", "CollectResult", "collect", "main"]

FORMAT_VERSION = 1
MANIFEST = "collect.json"


def make_policy(spec: str, env: Any, task_id: str, seed: int = 0, flag: str = "--policy",
                device: str | None = None, dtype: str | None = None,
                as_task: str | None = None) -> Callable[[list[Any]], Policy]:
    """The builder of the policy named by ``spec`` (see :mod:`rollouts.policies`) for a list of envs
    of ``env``'s task (a Gato on ``device`` in ``dtype``), bound to them; ``flag`` names the option
    it came from in error messages. What can fail (the spec, the checkpoint, the task's spaces, a
    demonstrator) fails here, as a CollectError, before anything is recorded."""
    try:
        factory = policy_factory(parse_policy(spec, flag=flag), seed, flag=flag, device=device, dtype=dtype,
                                 task_ids=[task_id], as_task=as_task)
    except PolicyError as e:
        raise CollectError(str(e)) from None

    def build(envs_: list[Any]) -> Policy:
        try:
            policy = factory(task_id, env.observation_space, env.action_space, len(envs_))
        except ValueError as e:  # no demonstrator for the task, a checkpoint of other spaces, a reset() policy on several envs
            raise CollectError(f"{flag} {spec}: {e}") from None
        if hasattr(policy, "bind_envs"):
            policy.bind_envs(envs_)
        return policy

    build([env])
    return build


# ---------------------------------------------------------------------------------------------
# The collection


def _threshold(cfg: CollectConfig) -> float | None:
    if cfg.min_return is not None and cfg.min_return_fraction is not None:
        raise CollectError("give --min-return or --min-return-fraction, not both")
    if cfg.min_return_fraction is None:
        return cfg.min_return
    from envs.demonstrators import DEMONSTRATOR_SCORES

    if cfg.env not in DEMONSTRATOR_SCORES:
        raise CollectError(f"--min-return-fraction needs a demonstrator score for {cfg.env}; "
                           f"known: {', '.join(DEMONSTRATOR_SCORES)}; use --min-return instead")
    demo = DEMONSTRATOR_SCORES[cfg.env]
    ref = envs.reference_for(cfg.env)
    low = ref.random if ref is not None else 0.0
    return low + cfg.min_return_fraction * (demo - low)


def _open_out(cfg: CollectConfig, manifest: dict) -> None:
    """Create ``cfg.out`` or check that it holds a collection of the same arguments."""
    out = cfg.out
    path = out / MANIFEST
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise CollectError(f"{path} is unreadable ({e}); {out} is a damaged dataset") from e
        if found.get("env") != manifest["env"]:
            raise CollectError(f"--out {out} holds a dataset of another env "
                               f"({found.get('env')!r}, not {manifest['env']!r}); choose "
                               f"another --out")
        diff = [k for k in manifest if found.get(k) != manifest[k]]
        if diff:
            was = ", ".join(f"{k}={found.get(k)!r}" for k in diff)
            raise CollectError(f"--out {out} was collected with {was}; rerun with the same "
                               f"arguments to resume it, or choose another --out")
        return
    if out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()):
        meta = out / DATA / "metadata.json"
        if meta.exists():
            try:
                spec = json.loads(json.loads(meta.read_text()).get("env_spec", "{}"))
                other = spec.get("id")
            except ValueError:
                other = None
            if other and other != manifest["env"]:
                raise CollectError(f"--out {out} holds a dataset of another env ({other!r}, "
                                   f"not {manifest['env']!r}); choose another --out")
        raise CollectError(f"--out {out} exists and is not a gato-collect directory "
                           f"(no {MANIFEST}); choose an empty or new directory")
    (out / JOURNAL).mkdir(exist_ok=True)
    write_atomic(path, json.dumps(manifest, indent=1), durable=True)


def collect(cfg: CollectConfig) -> CollectResult:
    """Run the collection described by ``cfg`` (resuming one in ``cfg.out``); see the module doc."""
    if cfg.episodes < 1:
        raise CollectError(f"--episodes must be >= 1, got {cfg.episodes}")
    if not 0.0 <= cfg.action_noise <= 1.0:
        raise CollectError(f"--action-noise must be in [0, 1], got {cfg.action_noise}")
    check_seed("--seed", cfg.seed)
    try:
        resolve_device(cfg.device)
        resolve_dtype(cfg.dtype)
    except ValueError as e:
        raise CollectError(f"--device/--dtype: {e}") from None
    check_number("--max-episode-steps", cfg.max_episode_steps, low=1)
    check_number("--max-attempts", cfg.max_attempts, low=1)
    check_number("--steps-after-success", cfg.steps_after_success, low=0)
    check_number("--min-return", cfg.min_return)
    check_number("--min-return-fraction", cfg.min_return_fraction)
    cfg = replace(cfg, out=cfg.out.resolve())  # Minari's storage mishandles relative folders
    threshold = _threshold(cfg)
    try:
        env_kwargs = envs.parse_make_kwargs(cfg.env_kwargs)
        env = envs.make(cfg.env, max_episode_steps=cfg.max_episode_steps, **env_kwargs)
    except (ValueError, TypeError) as e:  # an unknown id, bad JSON, kwargs the env does not take
        raise CollectError(str(e)) from None
    check_storable(env.observation_space, "observation")
    if not isinstance(env.action_space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        raise CollectError(f"gato-collect stores actions of Box, Discrete, MultiDiscrete and MultiBinary spaces; "
                           f"this task's action space is {env.action_space}")
    if cfg.as_task is not None and not any(p is not None and p.partition(":")[0] in ("gato", "checkpoint") for p in (cfg.policy, cfg.label)):
        raise CollectError(f"--as-task names a task of a Gato checkpoint to play as; --policy {cfg.policy} is no checkpoint")
    check_number("--num-envs", cfg.num_envs, low=1)
    policy = make_policy(cfg.policy, env, cfg.env, cfg.seed, device=cfg.device, dtype=cfg.dtype, as_task=cfg.as_task)
    labeler = (make_policy(cfg.label, env, cfg.env, cfg.seed, "--label", cfg.device, cfg.dtype, as_task=cfg.as_task)
               if cfg.label is not None else None)
    check = ActionChecker(env.action_space, RunFailed)  # found mid-run, as in gato-eval: exit 1, episodes kept
    manifest = {
        "format_version": FORMAT_VERSION,
        "env": cfg.env,
        "make_kwargs": env.task_spec.make_kwargs,
        "policy": cfg.policy,
        "seed": cfg.seed,
        "min_return": threshold,
        "action_noise": cfg.action_noise,
    }
    if cfg.label is not None:
        manifest["label"] = cfg.label
    if cfg.steps_after_success is not None:
        manifest["steps_after_success"] = cfg.steps_after_success
    if cfg.out.exists() and not cfg.out.is_dir():
        raise CollectError(f"--out {cfg.out} is a file; pass a folder (new, empty, or an earlier collection to resume)")
    with FolderLock(cfg.out, "gato-collect"):  # one process per collection
        _open_out(cfg, manifest)
        return record(cfg, manifest, env, policy, labeler, check, threshold)



def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gato-collect``: exit 0 done, 1 a failed run (a policy raised, a full disk;
    the recorded episodes are kept), 2 bad input, 130 after Ctrl-C (see gato_agent.cli)."""
    cfg = tyro.cli(CollectConfig, args=argv)
    return run_command("gato-collect", lambda: _report(collect(cfg), cfg), cfg.debug, usage=(CollectError, UsageError))


def _report(result: CollectResult, cfg: CollectConfig) -> int:
    """Print what a finished collection kept; -> exit status 0."""
    r = np.array(result.returns)
    print(f"{cfg.env}: kept {result.kept} episodes, dropped {result.dropped}; return "
          f"{r.mean():.2f} +- {r.std():.2f} (min {r.min():.2f}, max {r.max():.2f})")
    print(f"Minari dataset: {result.data_path}  (minari.MinariDataset({str(result.data_path)!r}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
