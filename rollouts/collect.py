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
in one batch); an episode is written once every lower one is, so the journal never has a gap.

Load a dataset with ``minari.MinariDataset("<out>/data")``, or with ``MINARI_DATASETS_PATH`` set
to the parent of ``<out>``, ``minari.load_dataset("<name of out>")``.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import tyro
from gymnasium import spaces
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array, iterate
from tqdm import tqdm

import envs
from envs.demonstrators import perturb
from gato_agent.atomic import write_atomic
from gato_agent.cli import RunFailed, UsageError, check_number, check_seed, is_disk_full, run_command
from gato_agent.device import resolve_device, resolve_dtype
from gato_agent.runlock import LOCK_FILE, FolderLock
from rollouts.actions import ActionChecker
from rollouts.journal import (CollectError, EpisodeRecorder, JournalEntry, check_storable, episode_file,
                              read_journal, write_dropped)
from rollouts.minari_export import DATA, JOURNAL, dataset_is_current, finalize
from rollouts.policies import Policy, PolicyError, parse_policy, policy_factory

__all__ = ["ActionChecker", "CollectConfig", "CollectError", "CollectResult", "collect", "main"]

FORMAT_VERSION = 1
MANIFEST = "collect.json"


@dataclass
class CollectConfig:
    """Roll a policy on one task and record its episodes as a Minari dataset."""

    env: str
    """Task id (as ``envs.make`` builds it), e.g. ALE/Pong-v5, HalfCheetah-v5, or module:EnvId
    (imports module, which registers EnvId)."""
    out: Path
    """Output directory; a rerun with the same arguments resumes the collection in it."""
    env_kwargs: str | None = None
    """JSON object of keyword arguments for making the env, e.g. '{"reset_noise_scale": 0.2}'."""
    policy: str = "expert"
    """expert (the task's demonstrator), random, gato (the embedded checkpoint), gato:PATH (a
    checkpoint folder; also checkpoint:PATH), or module:callable (a function obs -> action, or an
    object with act(obs) and optional reset())."""
    as_task: str | None = None
    """A Gato checkpoint plays only the tasks it was trained on; --as-task T plays --env as its task T
    (a borrowed prompt and spaces, which must equal the env's)."""
    label: str | None = None
    """The policy whose action is recorded (same forms as --policy); default: the acting policy.
    ``--policy gato:PATH --label expert`` records the demonstrator's action in the states the
    checkpoint reaches (DAgger, Ross et al. 2011). The executed action is kept beside the label
    (``infos/executed_action``), so that training conditions on the actions the policy really took."""
    episodes: int = 10
    """Number of episodes to keep (episodes dropped by the return filter do not count)."""
    min_return: float | None = None
    """Keep only episodes whose return is at least this."""
    min_return_fraction: float | None = None
    """Keep only episodes at or above random + fraction * (demonstrator - random), from the
    demonstrator's measured mean and the reference random score (the paper keeps >= 0.8)."""
    seed: int = 0
    """Episode i is reset with seed + i (the random policy's action space is seeded alike)."""
    max_episode_steps: int | None = None
    """Optional cap on episode length, for quick looks and tests: the limit is the smaller of the
    task's own and this."""
    steps_after_success: int | None = None
    """End each episode this many steps after the first step whose ``info["success"]`` is true
    (recorded as a truncation), so that a scripted expert's episode is its approach, not hundreds
    of steps holding still after the task is done (Meta-World's 500-step episodes idle for most of
    their length). For envs that report ``info["success"]``; an episode that never succeeds runs to
    its end."""
    action_noise: float = 0.0
    """Noise executed on top of the policy's actions, while the dataset records the policy's own
    (noise-free) action as the label, so that behaviour cloning sees the states a slightly wrong
    policy reaches together with the action that corrects them (DART, Laskey et al. 2017): Box
    actions get Gaussian noise with this std as a fraction of each dimension's half-range (clipped
    to the bounds); discrete actions are replaced by a uniformly random one with this probability."""
    max_attempts: int | None = None
    """Give up after this many episodes in all (kept + dropped); default 10 x --episodes."""
    num_envs: int = 1
    """Episodes rolled side by side, each in its own env, the policies acting for all of them in one
    batch: a Gato's forward pass serves every env at once (a DAgger collection of Hopper or Breakout
    at 8 envs: 2.7x the steps per second of one; benchmarks/README.md, "Collection"). Episode i is still reset with seed + i and the journal still holds episodes in that
    order (an episode that ends before a lower one waits for it in memory: Ctrl-C or a crash loses
    it, and a rerun rolls it again). A Gato's batched actions may differ from --num-envs 1's in
    their last bits. Not part of the dataset's identity: a rerun may change it."""
    progress: bool = True
    """Show a progress bar (episodes, steps per second, mean return)."""
    device: str = "cpu"
    """Where a Gato policy acts: cpu, cuda, cuda:N or mps (one this machine lacks is a usage error)."""
    dtype: str = "float32"
    """The type a Gato policy's matrix products run in: float32, bfloat16 or float16."""
    debug: bool = False
    """Print the traceback of a failure too (without it, a bad input or a failed run is one line)."""


@dataclass
class CollectResult:
    """What :func:`collect` left on disk."""

    out: Path  # the collection directory
    data_path: Path  # its Minari data directory (``MinariDataset(data_path)`` opens it)
    kept: int  # episodes in the dataset
    dropped: int  # episodes rolled but filtered out by the return threshold
    returns: list[float] = field(default_factory=list)  # return of each kept episode, in order
    steps_per_second: float = 0.0  # env steps per second of this run's rollouts (0 if none ran)


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
        return _record(cfg, manifest, env, policy, labeler, check, threshold)


@dataclass
class _Running:
    """The episode a sub-env is rolling."""

    index: int  # its attempt number: reset with seed + index, journal file index
    episode: EpisodeRecorder
    noise: np.random.Generator  # its action noise, seeded by the episode alone
    succeeded_at: int | None = None  # the step of its first info["success"]


def _record(cfg: CollectConfig, manifest: dict, env: Any, policy: Callable[[list[Any]], Policy],
            labeler: Callable[[list[Any]], Policy] | None, check: ActionChecker, threshold: float | None) -> CollectResult:
    """collect's episodes and data/, into the locked, checked cfg.out: up to --num-envs episodes
    at a time, one per sub-env (``env`` and copies of it), written to the journal in index order."""
    journal = cfg.out / JOURNAL
    entries = read_journal(journal, cfg.seed)
    kept = sum(e.kept for e in entries)
    max_attempts = cfg.max_attempts if cfg.max_attempts is not None else 10 * cfg.episodes
    n = max(1, min(cfg.num_envs, cfg.episodes - kept, max_attempts - len(entries)))
    subenvs = [env] + [envs.make(cfg.env, max_episode_steps=cfg.max_episode_steps,
                                 **envs.parse_make_kwargs(cfg.env_kwargs)) for _ in range(n - 1)]
    actor, teacher = policy(subenvs), labeler(subenvs) if labeler is not None else None
    obs_space, action_space = env.observation_space, env.action_space
    obs_batch, actions_of = create_empty_array(obs_space, n), batch_space(action_space, n)
    last_obs: list[Any] = [None] * n  # each sub-env's latest observation (an idle one's last)
    running: list[_Running | None] = [None] * n
    finished: dict[int, tuple[EpisodeRecorder, bool]] = {}  # ended, waiting for a lower index to end
    next_index = len(entries)
    bar = tqdm(total=cfg.episodes, initial=min(kept, cfg.episodes), unit="ep",
               desc=cfg.env, disable=not cfg.progress, dynamic_ncols=True)
    steps_run, t0 = 0, time.monotonic()
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gato-collect-zlib")

    def wanted() -> bool:
        """Whether another episode may start: fewer kept or rolling than asked, attempts left."""
        pending = kept + sum(keep for _, keep in finished.values()) + sum(r is not None for r in running)
        return pending < cfg.episodes and next_index < max_attempts

    def start(i: int) -> None:
        nonlocal next_index
        seed = cfg.seed + next_index
        obs, _ = subenvs[i].reset(seed=seed)
        subenvs[i].action_space.seed(seed)
        running[i] = _Running(next_index, EpisodeRecorder(seed, obs, obs_space, pool, record_executed=(
            labeler is not None or bool(cfg.action_noise))), np.random.default_rng([seed, 1]))
        last_obs[i] = obs
        next_index += 1

    def flush() -> None:
        """Write the finished episodes that follow the journal's last one."""
        nonlocal kept
        while len(entries) in finished:
            index = len(entries)
            episode, keep = finished.pop(index)
            try:
                if keep:
                    episode.write(episode_file(journal, index), action_space)
                else:
                    write_dropped(journal, index, episode.seed, episode.ret, len(episode.rewards))
            except OSError as e:
                if is_disk_full(e):
                    raise RunFailed(
                        f"disk full while writing episode {index} to {journal}: {e.strerror}. "
                        f"The {kept} episodes recorded before it are intact; free some space "
                        f"and rerun the same command to resume"
                    ) from e
                raise
            entries.append(JournalEntry(index, keep, episode.ret, len(episode.rewards)))
            kept += keep
            kept_returns = [e.ret for e in entries if e.kept]
            bar.set_postfix(steps_per_s=f"{steps_run / max(time.monotonic() - t0, 1e-9):.0f}",
                            mean_return=f"{np.mean(kept_returns):.1f}" if kept_returns else "-",
                            dropped=len(entries) - kept, refresh=False)
            bar.update(int(keep))

    def at(i: int | None = None) -> str:
        rolling = [(j, r) for j, r in enumerate(running) if r is not None and (i is None or j == i)]
        return ", ".join(f"episode {r.index} (seed {r.episode.seed}), step {len(r.episode.rewards)}" for _, r in rolling)

    try:
        for i in range(n):
            if wanted():
                start(i)
        for p in (actor, teacher):
            if p is not None and hasattr(p, "reset") and any(r is not None for r in running):
                p.reset(None)  # after the envs' resets: a demonstrator reads its env's state
        while any(r is not None for r in running):
            obs_batch = concatenate(obs_space, last_obs, obs_batch)
            actions = _acting(actor, obs_batch, f"--policy {cfg.policy}", at, kept, journal)
            labels = actions if teacher is None else _acting(teacher, obs_batch, f"--label {cfg.label}", at, kept, journal)
            started = []
            for i, (action, label) in enumerate(zip(iterate(actions_of, actions), iterate(actions_of, labels))):
                r = running[i]
                if r is None:
                    continue
                def where(i: int = i) -> str:
                    return f"policy {cfg.policy!r}, {at(i)}"
                action = copy.deepcopy(check(action, where))  # not a view of a reused batch
                label = action if teacher is None else copy.deepcopy(check(label, where))
                if cfg.action_noise:
                    action = perturb(action, action_space, cfg.action_noise, r.noise)
                obs, reward, terminated, truncated, info = subenvs[i].step(action)
                if cfg.steps_after_success is not None:
                    r.succeeded_at, truncated = _cut_after_success(cfg, info, len(r.episode.rewards), r.succeeded_at,
                                                                   truncated)
                r.episode.add_step(label, reward, terminated, truncated, obs, executed=action)
                last_obs[i] = obs
                if terminated or truncated:
                    steps_run += len(r.episode.rewards)
                    finished[r.index] = (r.episode, threshold is None or r.episode.ret >= threshold)
                    running[i] = None
                    flush()
                    if wanted():
                        start(i)
                        started.append(i)
            for p in (actor, teacher):
                if started and p is not None and hasattr(p, "reset"):
                    p.reset(started)
        if kept < cfg.episodes:
            raise CollectError(
                f"{len(entries)} episodes rolled and only {kept} reached the return threshold "
                f"{threshold}; lower the threshold or raise --max-attempts"
            )
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.monotonic() - t0
    # The dataset holds the first --episodes kept episodes (a rerun may ask for fewer).
    used = entries
    if kept > cfg.episodes:
        nth = [i for i, e in enumerate(entries) if e.kept][cfg.episodes - 1]
        used = entries[: nth + 1]
    data_path = cfg.out / DATA
    if not dataset_is_current(data_path, used):
        try:
            finalize(cfg.out, manifest, env, used, cfg.policy)
        except OSError as e:
            if is_disk_full(e):
                raise RunFailed(f"disk full while assembling {data_path}: {e.strerror}. "
                                   f"All {kept} recorded episodes are intact in {journal}; "
                                   f"free some space and rerun the same command") from e
            raise
    for sub in subenvs:
        sub.close()
    result = CollectResult(cfg.out, data_path, sum(e.kept for e in used),
                           sum(not e.kept for e in used), [e.ret for e in used if e.kept],
                           steps_run / elapsed if steps_run else 0.0)
    if interrupted:
        raise KeyboardInterrupt(f"interrupted: {result.kept} episodes are saved in {data_path}; "
                                f"rerun the same command to resume")
    return result


def _cut_after_success(cfg: CollectConfig, info: dict, step: int, succeeded_at: int | None,
                       truncated: bool) -> tuple[int | None, bool]:
    """For --steps-after-success: (the step of the first success so far, whether the episode ends
    at ``step``, the index of the step just taken, as a truncation)."""
    if "success" not in info:
        raise CollectError(f"--steps-after-success needs an env that reports info['success'] "
                           f"(Meta-World does); {cfg.env} does not")
    if succeeded_at is None and info["success"]:
        succeeded_at = step
    return succeeded_at, truncated or (succeeded_at is not None and step - succeeded_at >= cfg.steps_after_success)


def _acting(policy: Policy, obs: Any, name: str, at: Callable[[], str], kept: int, journal: Path) -> Any:
    """``policy.act(obs)`` for the batch ``obs``; an error of the policy's own is a RunFailed naming
    the policy (``name``), the running episodes, their seeds and steps (``at()``), and the error's
    first line."""
    try:
        return policy.act(obs)
    except Exception as e:
        lines = str(e).strip().splitlines()
        raise RunFailed(f"{name} raised in {at()}: {type(e).__name__}" + (f": {lines[0]}" if lines else "")
                        + f". The {kept} episodes recorded before it are kept in {journal}: fix the policy and "
                        "rerun the same command to go on") from e


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
