"""The batched recording loop of gato-collect: episodes rolled side by side, written in order.

:func:`record` runs up to ``--num-envs`` episodes at a time, one per sub-env, the acting and the
labelling policies called once a step for all of them. Episode i is reset with seed + i; an
episode that ends before a lower one waits in memory, so the journal (:mod:`rollouts.journal`)
is written in index order and never has a gap. When the run ends, also on Ctrl-C, the Minari
dataset is assembled from the journal (:mod:`rollouts.minari_export`). The checks of the
arguments, the output folder and its lock are :mod:`rollouts.collect`'s.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array, iterate
from tqdm import tqdm

import envs
from envs.demonstrators import perturb
from gato_agent.cli import RunFailed, is_disk_full
from rollouts.actions import ActionChecker
from rollouts.collect_args import CollectConfig
from rollouts.journal import CollectError, EpisodeRecorder, JournalEntry, episode_file, read_journal, write_dropped
from rollouts.minari_export import DATA, JOURNAL, dataset_is_current, finalize
from rollouts.policies import Policy

__all__ = ["CollectResult", "record", "cut_after_success", "acting"]


@dataclass
class CollectResult:
    """What :func:`collect` left on disk."""

    out: Path  # the collection directory
    data_path: Path  # its Minari data directory (``MinariDataset(data_path)`` opens it)
    kept: int  # episodes in the dataset
    dropped: int  # episodes rolled but filtered out by the return threshold
    returns: list[float] = field(default_factory=list)  # return of each kept episode, in order
    steps_per_second: float = 0.0  # env steps per second of this run's rollouts (0 if none ran)


@dataclass
class _Running:
    """The episode a sub-env is rolling."""

    index: int  # its attempt number: reset with seed + index, journal file index
    episode: EpisodeRecorder
    noise: np.random.Generator  # its action noise, seeded by the episode alone
    succeeded_at: int | None = None  # the step of its first info["success"]


def record(cfg: CollectConfig, manifest: dict, env: Any, policy: Callable[[list[Any]], Policy],
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
            actions = acting(actor, obs_batch, f"--policy {cfg.policy}", at, kept, journal)
            labels = actions if teacher is None else acting(teacher, obs_batch, f"--label {cfg.label}", at, kept, journal)
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
                    r.succeeded_at, truncated = cut_after_success(cfg, info, len(r.episode.rewards), r.succeeded_at,
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


def cut_after_success(cfg: CollectConfig, info: dict, step: int, succeeded_at: int | None,
                       truncated: bool) -> tuple[int | None, bool]:
    """For --steps-after-success: (the step of the first success so far, whether the episode ends
    at ``step``, the index of the step just taken, as a truncation)."""
    if "success" not in info:
        raise CollectError(f"--steps-after-success needs an env that reports info['success'] "
                           f"(Meta-World does); {cfg.env} does not")
    if succeeded_at is None and info["success"]:
        succeeded_at = step
    return succeeded_at, truncated or (succeeded_at is not None and step - succeeded_at >= cfg.steps_after_success)


def acting(policy: Policy, obs: Any, name: str, at: Callable[[], str], kept: int, journal: Path) -> Any:
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
