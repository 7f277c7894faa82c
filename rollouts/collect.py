"""gato-collect: record behaviour-cloning datasets as Minari datasets (HDF5), losing nothing.

    gato-collect --env HalfCheetah-v5 --policy expert --episodes 200 --out data/halfcheetah-expert-v0
    gato-collect --env ALE/Pong-v5 --policy checkpoint:ckpt/ --episodes 50 --out data/pong-gato-v0
    gato-collect --env Reacher-v5 --policy mypkg.mymodule:my_policy --episodes 100 --out data/reacher-v0

How "each finished episode is on disk before the next begins" meets Minari's format
-------------------------------------------------------------------------------------
Minari keeps a whole dataset in one HDF5 file (``data/main_data.hdf5``) beside ``metadata.json``.
HDF5 is not crash-safe: a process killed while it writes into an open file can leave the whole file
unreadable, so appending each episode to ``main_data.hdf5`` would put every earlier episode at risk
of a SIGKILL. Instead ``--out`` holds two things:

``episodes/`` (the journal, the source of truth)
    one small HDF5 file per finished episode, in exactly the group layout Minari uses for an
    episode (observations T+1, actions, rewards, terminations, truncations; the seed as an
    attribute). When the executed action can differ from the recorded one (``--label``,
    ``--action-noise``), ``infos/executed_action`` holds what ``env.step`` received, aligned with
    ``actions`` (T rows): gato-train feeds it as the history the policy saw and trains on the label.
    Each is written under a temporary name, fsynced and renamed, so after any crash a
    file either is a complete episode or does not exist. Episodes that the return filter drops
    leave a small ``.dropped.json`` record instead, so that a rerun continues the same seed
    sequence. File ``i`` always holds the episode reset with seed ``--seed + i``.
``data/`` (the Minari dataset, derived)
    assembled from the journal when the run ends (also on Ctrl-C): HDF5's object copy moves each
    episode group, compressed chunks as they are, into a fresh ``main_data.hdf5``, and Minari's own
    ``MinariStorage`` writes ``metadata.json``. It is built in ``data.tmp/`` and renamed into place,
    so ``data/`` is always a complete dataset of the episodes it names.

``collect.json`` records what the directory is (task, make kwargs, policy, seed, return filter). A
rerun with the same arguments resumes after the last journal entry and stops at ``--episodes``
kept episodes; a rerun with other arguments, an ``--out`` of another env, a gap or an unreadable
file in the journal are errors that name the problem, never silently extended.

Atari screens are stored losslessly (Minari's JPEG option is off) with HDF5's gzip filter at level
1 in chunks of 8 frames, about 2 kB per 210x160x3 frame. The chunks are compressed by a worker
thread while the episode runs (zlib releases the GIL) and written with ``write_direct_chunk``, so
on a machine with a spare core compression costs the env loop little.

Load a dataset with ``minari.MinariDataset("<out>/data")``, or with ``MINARI_DATASETS_PATH`` set
to the parent of ``<out>``, ``minari.load_dataset("<name of out>")``.
"""

from __future__ import annotations

import errno
import importlib
import io
import json
import os
import re
import shutil
import sys
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py
import numpy as np
import tyro
from gymnasium import spaces
from tqdm import tqdm

import envs
from envs.demonstrators import perturb

__all__ = ["ActionChecker", "CollectConfig", "CollectError", "CollectResult", "collect", "main"]

FORMAT_VERSION = 1
MANIFEST = "collect.json"
JOURNAL = "episodes"
DATA = "data"
FRAME_CHUNK = 8  # frames per compressed HDF5 chunk of image observations
GZIP_LEVEL = 1  # zlib level of image chunks: fast, and screens compress ~50x anyway
_EPISODE_FILE = re.compile(r"episode_(\d{6})\.(hdf5|dropped\.json)$")
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class CollectError(RuntimeError):
    """A collection that cannot go on; the message says what was wrong and what is accepted."""


@dataclass
class CollectConfig:
    """Roll a policy on one task and record its episodes as a Minari dataset."""

    env: str
    """Task id (as ``envs.make`` builds it), e.g. ALE/Pong-v5 or HalfCheetah-v5."""
    out: Path
    """Output directory; a rerun with the same arguments resumes the collection in it."""
    policy: str = "expert"
    """expert (the task's demonstrator), random, checkpoint:PATH (a GatoAgent folder), or
    module:callable (a function obs -> action, or an object with act(obs) and optional reset())."""
    label: str | None = None
    """The policy whose action is recorded (same forms as --policy); default: the acting policy.
    ``--policy checkpoint:PATH --label expert`` records the demonstrator's action in the states the
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
    """Optional cap on episode length (a truncation), for quick looks and tests."""
    action_noise: float = 0.0
    """Noise executed on top of the policy's actions, while the dataset records the policy's own
    (noise-free) action as the label, so that behaviour cloning sees the states a slightly wrong
    policy reaches together with the action that corrects them (DART, Laskey et al. 2017): Box
    actions get Gaussian noise with this std as a fraction of each dimension's half-range (clipped
    to the bounds); discrete actions are replaced by a uniformly random one with this probability."""
    max_attempts: int | None = None
    """Give up after this many episodes in all (kept + dropped); default 10 x --episodes."""
    progress: bool = True
    """Show a progress bar (episodes, steps per second, mean return)."""


@dataclass
class CollectResult:
    """What :func:`collect` left on disk."""

    out: Path  # the collection directory
    data_path: Path  # its Minari data directory (``MinariDataset(data_path)`` opens it)
    kept: int  # episodes in the dataset
    dropped: int  # episodes rolled but filtered out by the return threshold
    returns: list[float] = field(default_factory=list)  # return of each kept episode, in order
    steps_per_second: float = 0.0  # env steps per second of this run's rollouts (0 if none ran)


# ---------------------------------------------------------------------------------------------
# Policies


@dataclass
class _Policy:
    act: Callable[[Any], Any]  # observation -> action
    reset: Callable[[], None]  # called after each env.reset
    name: str  # recorded in the dataset metadata


def make_policy(spec: str, env: gym.Env, task_id: str, flag: str = "--policy") -> _Policy:
    """The policy named by ``spec`` (see :class:`CollectConfig.policy`), acting in ``env``;
    ``flag`` names the option it came from in error messages."""
    if spec == "expert":
        from envs.demonstrators import get_demonstrator

        try:
            demo = get_demonstrator(task_id)
        except ValueError as e:
            raise CollectError(f"{flag} expert: {e}") from None
        bound = demo.bind(env)
        return _Policy(bound.act, bound.reset, f"expert:{type(demo).__name__}")
    if spec == "random":
        return _Policy(lambda obs: env.action_space.sample(), lambda: None, "random")
    if spec.startswith("checkpoint:"):
        path = spec.removeprefix("checkpoint:")
        if not Path(path).exists():
            raise CollectError(f"{flag} {spec}: no checkpoint folder at {path!r}")
        from gato_agent import GatoAgent

        agent = GatoAgent.from_pretrained(
            path, observation_space=env.observation_space, action_space=env.action_space
        )
        return _Policy(agent.act, agent.reset, f"checkpoint:{Path(path).resolve().name}")
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as e:  # noqa: BLE001 - any import failure is the user's module
            raise CollectError(
                f"{flag} {spec}: module {module_name!r} does not import "
                f"({type(e).__name__}: {e})"
            ) from e
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise CollectError(f"{flag} {spec}: {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        if hasattr(obj, "act") and callable(obj.act):
            reset = getattr(obj, "reset", None)
            return _Policy(obj.act, reset if callable(reset) else (lambda: None), spec)
        if callable(obj):
            return _Policy(obj, lambda: None, spec)
        raise CollectError(f"{flag} {spec}: {attr!r} is neither callable nor has act(obs)")
    raise CollectError(
        f"unknown {flag} {spec!r}; accepted: expert, random, checkpoint:PATH, module:callable"
    )


class ActionChecker:
    """Validates a policy's actions against an action space, cheaply enough to run every step."""

    def __init__(self, space: spaces.Space) -> None:
        self.space = space
        if isinstance(space, spaces.Box):
            self.low, self.high = space.low, space.high

    def __call__(self, action: Any, where: Callable[[], str]) -> Any:
        """``action`` as an element of the space (dtype cast), or CollectError saying why not.

        ``where`` describes the step for the error message; it is only called on an error.
        """
        space = self.space
        if isinstance(space, spaces.Box):
            a = np.asarray(action)
            if a.shape != space.shape:
                raise CollectError(f"{where()}: action of shape {a.shape} for the action space "
                                   f"{space} (shape {space.shape})")
            if not ((a >= self.low).all() and (a <= self.high).all()):  # NaN fails both too
                raise CollectError(f"{where()}: action {a.tolist()} is outside the action "
                                   f"space {space}")
            return a.astype(space.dtype, copy=False)
        if isinstance(space, spaces.Discrete):
            a = np.asarray(action)
            integral = np.issubdtype(a.dtype, np.integer) or (
                np.issubdtype(a.dtype, np.floating) and a.shape == () and float(a) == int(a))
            if a.shape != () or not integral:
                raise CollectError(f"{where()}: action {action!r} is not an integer of {space}")
            value = int(a)
            if not space.start <= value < space.start + space.n:
                raise CollectError(f"{where()}: action {value} is outside the action space "
                                   f"{space}")
            return np.int64(value)
        if not space.contains(action):
            raise CollectError(f"{where()}: action {action!r} is outside the action space {space}")
        return action


# ---------------------------------------------------------------------------------------------
# Episode files (the journal)


def _is_image(space: spaces.Space) -> bool:
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3


_ARRAYS = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)


def _check_storable(space: spaces.Space, what: str) -> None:
    nested = what == "observation" and isinstance(space, (spaces.Dict, spaces.Text))
    if nested and isinstance(space, spaces.Dict):
        for sub in space.spaces.values():
            _check_storable(sub, what)
    elif not (isinstance(space, _ARRAYS) or nested):
        raise CollectError(f"gato-collect stores array {what}s (Box, Discrete, MultiDiscrete, "
                           f"MultiBinary{'; and Text and Dicts of these as observations' if what == 'observation' else ''}); "
                           f"this task's {what} space is {space}")


def _write_observations(group: h5py.Group, key: str, space: spaces.Space, values: list) -> None:
    """T+1 observations as Minari lays them out: a Dict as a group, Text as UTF-8 strings."""
    if isinstance(space, spaces.Dict):
        sub = group.create_group(key)
        for name, subspace in space.spaces.items():
            _write_observations(sub, name, subspace, [v[name] for v in values])
    elif isinstance(space, spaces.Text):
        group.create_dataset(key, data=values, dtype=h5py.string_dtype(encoding="utf-8"))
    else:
        group.create_dataset(key, data=np.stack([np.asarray(v, dtype=space.dtype) for v in values]))


def _length(node: h5py.Group | h5py.Dataset) -> int:
    """Rows of a stored observation (a Dict's first entry's)."""
    return _length(node[next(iter(node))]) if isinstance(node, h5py.Group) else node.shape[0]


class _Episode:
    """One episode being recorded; image frames are compressed in the background as they come."""

    def __init__(self, seed: int, obs: Any, obs_space: spaces.Space,
                 pool: ThreadPoolExecutor, record_executed: bool = False) -> None:
        self.seed = seed
        self.image = _is_image(obs_space)
        self.obs_space = obs_space
        self.pool = pool
        self.chunks: list[Future[bytes]] = []  # compressed image chunks, in order
        self.pending: list[np.ndarray] = []  # image frames not yet in a chunk
        self.observations: list[Any] = []  # non-image observations
        self.actions: list[Any] = []  # the recorded (label) actions
        self.executed: list[Any] | None = [] if record_executed else None  # what env.step got
        self.rewards: list[float] = []
        self.terminations: list[bool] = []
        self.truncations: list[bool] = []
        self.num_obs = 0
        self.add_obs(obs)

    def add_obs(self, obs: Any) -> None:
        self.num_obs += 1
        if not self.image:
            self.observations.append(obs)
            return
        self.pending.append(np.asarray(obs, dtype=np.uint8))
        if len(self.pending) == FRAME_CHUNK:
            self._flush()

    def _flush(self) -> None:
        block = np.zeros((FRAME_CHUNK, *self.obs_space.shape), dtype=np.uint8)  # edge chunk: pad
        block[: len(self.pending)] = self.pending
        self.pending = []
        self.chunks.append(self.pool.submit(zlib.compress, block.tobytes(), GZIP_LEVEL))

    def add_step(self, action: Any, reward: float, terminated: bool, truncated: bool,
                 obs: Any, executed: Any = None) -> None:
        self.actions.append(action)
        if self.executed is not None:
            self.executed.append(executed)
        self.rewards.append(float(reward))
        self.terminations.append(bool(terminated))
        self.truncations.append(bool(truncated))
        self.add_obs(obs)

    @property
    def ret(self) -> float:
        return float(np.sum(self.rewards))

    def write(self, path: Path, action_space: spaces.Space) -> None:
        """Write the episode to ``path`` atomically (temporary name, fsync, rename).

        The HDF5 file is built in memory and written with plain file I/O: a full disk is then an
        ordinary OSError, where HDF5 itself fails messily (or crashes) on a failed write.
        """
        if self.pending:
            self._flush()
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            g = f.create_group("episode")
            g.attrs["seed"] = self.seed
            g.attrs["total_steps"] = len(self.rewards)
            if self.image:
                shape = (self.num_obs, *self.obs_space.shape)
                d = g.create_dataset("observations", shape=shape, dtype=np.uint8,
                                     chunks=(FRAME_CHUNK, *self.obs_space.shape),
                                     compression="gzip", compression_opts=GZIP_LEVEL)
                for i, chunk in enumerate(self.chunks):
                    offset = (i * FRAME_CHUNK,) + (0,) * len(self.obs_space.shape)
                    d.id.write_direct_chunk(offset, chunk.result())
            else:
                _write_observations(g, "observations", self.obs_space, self.observations)
            shape = (len(self.actions), *action_space.shape)
            g.create_dataset("actions", data=np.asarray(self.actions, dtype=action_space.dtype).reshape(shape))
            if self.executed is not None:
                executed = np.asarray(self.executed, dtype=action_space.dtype).reshape(shape)
                g.create_group("infos").create_dataset("executed_action", data=executed)
            g.create_dataset("rewards", data=np.asarray(self.rewards, dtype=np.float64))
            g.create_dataset("terminations", data=np.asarray(self.terminations))
            g.create_dataset("truncations", data=np.asarray(self.truncations))
        _write_atomic(path, buffer.getbuffer())


def _write_atomic(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` under a temporary name, fsync it, rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json_atomic(path: Path, payload: dict) -> None:
    _write_atomic(path, json.dumps(payload, indent=1).encode())


@dataclass
class _JournalEntry:
    index: int  # attempt index: the episode was reset with seed + index
    kept: bool  # an episode file (True) or a dropped record (False)
    ret: float  # the episode's return
    steps: int  # the episode's length


def read_journal(journal: Path, seed: int) -> list[_JournalEntry]:
    """The finished attempts in ``journal``, in order; CollectError naming any gap or bad file.

    Leftover ``*.tmp`` files (an episode being written when the process died) are removed.
    """
    for tmp in journal.glob("*.tmp"):
        tmp.unlink()
    entries: dict[int, _JournalEntry] = {}
    for path in sorted(journal.iterdir()):
        m = _EPISODE_FILE.match(path.name)
        if not m:
            raise CollectError(f"unexpected file {path} in the episode journal; the journal "
                               f"holds only episode_NNNNNN.hdf5 and episode_NNNNNN.dropped.json")
        index = int(m.group(1))
        if index in entries:
            raise CollectError(f"episode {index} is in the journal twice ({path}); corrupt journal")
        try:
            if m.group(2) == "hdf5":
                with h5py.File(path, "r") as f:
                    g = f["episode"]
                    steps = int(g.attrs["total_steps"])
                    ok = (int(g.attrs["seed"]) == seed + index
                          and g["rewards"].shape == (steps,) and g["actions"].shape[0] == steps
                          and _length(g["observations"]) == steps + 1
                          and g["terminations"].shape == (steps,)
                          and g["truncations"].shape == (steps,))
                    ret = float(np.sum(g["rewards"][()]))
                if not ok:
                    raise ValueError("inconsistent lengths or seed")
                entries[index] = _JournalEntry(index, True, ret, steps)
            else:
                record = json.loads(path.read_text())
                if record["seed"] != seed + index:
                    raise ValueError("inconsistent seed")
                entries[index] = _JournalEntry(index, False, float(record["return"]),
                                               int(record["length"]))
        except (OSError, KeyError, ValueError) as e:
            raise CollectError(
                f"corrupt episode file {path} ({type(e).__name__}: {e}); the dataset in "
                f"{journal.parent} is damaged: delete that file to re-record the episode"
            ) from e
    missing = sorted(set(range(len(entries))) - set(entries))
    if missing:
        raise CollectError(f"the episode journal {journal} is partial: episodes {missing[:10]} "
                           f"are missing while later ones exist; corrupt dataset")
    return [entries[i] for i in range(len(entries))]


# ---------------------------------------------------------------------------------------------
# The Minari dataset


def dataset_id_for(out: Path) -> str:
    """The Minari dataset id recorded for ``out``: its name, with ``-v0`` added if unversioned."""
    name = out.resolve().name
    return name if re.fullmatch(r".+-v\d+", name) else f"{name}-v0"


def finalize(out: Path, manifest: dict, env: gym.Env, entries: list[_JournalEntry],
             policy_name: str) -> Path:
    """(Re)build ``out/data`` from the journal entries given: their kept episodes, and metadata."""
    from minari import __version__ as minari_version
    from minari.dataset.minari_storage import MinariStorage

    data, tmp, old = out / DATA, out / (DATA + ".tmp"), out / (DATA + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    kept = [e for e in entries if e.kept]
    files = [out / JOURNAL / f"episode_{e.index:06d}.hdf5" for e in kept]
    # HDF5 fails messily on a failed write: check the space first (the copy is about as large).
    need = sum(f.stat().st_size for f in files) + (1 << 20)
    free = shutil.disk_usage(out).free
    if free < need:
        raise OSError(errno.ENOSPC, f"{need / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free")
    tmp.mkdir()
    env_spec = env.spec
    storage = MinariStorage.new(tmp, observation_space=env.observation_space,
                                action_space=env.action_space, env_spec=env_spec,
                                data_format="hdf5", jpeg_encoding=False)
    with h5py.File(tmp / "main_data.hdf5", "w", track_order=True) as main:
        for k, path in enumerate(files):
            with h5py.File(path, "r") as src:
                src.copy(src["episode"], main, name=f"episode_{k}")
            main[f"episode_{k}"].attrs["id"] = k
    returns = np.array([e.ret for e in kept]) if kept else np.zeros(0)
    ref = envs.reference_for(manifest["env"])
    metadata: dict[str, Any] = {
        "dataset_id": dataset_id_for(out),
        "total_episodes": len(kept),
        "total_steps": int(sum(e.steps for e in kept)),
        "algorithm_name": policy_name,
        "author": {"gato-collect"},
        "description": (f"{manifest['env']} episodes of policy {manifest['policy']}, seeds "
                        f"{manifest['seed']} + i, recorded by gato-collect"),
        "minari_version": minari_version,
        "policy": manifest["policy"],
        "label": manifest.get("label", manifest["policy"]),
        "action_noise": manifest["action_noise"],
        "seed": manifest["seed"],
        "make_kwargs": manifest["make_kwargs"],
        "min_return": manifest["min_return"],
        "episodes_kept": len(kept),
        "episodes_dropped": len(entries) - len(kept),
        "return_mean": float(returns.mean()) if kept else None,
        "return_std": float(returns.std()) if kept else None,
        "return_min": float(returns.min()) if kept else None,
        "return_max": float(returns.max()) if kept else None,
        "episode_seeds": [manifest["seed"] + e.index for e in kept],
    }
    if ref is not None:
        metadata["ref_min_score"], metadata["ref_max_score"] = ref.random, ref.expert
    storage.update_metadata(metadata)
    storage.update_metadata({"dataset_size": storage.get_size()})
    for path in (tmp / "main_data.hdf5", tmp / "metadata.json"):
        _fsync(path)
    if data.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(data, old)
    os.replace(tmp, data)
    shutil.rmtree(old, ignore_errors=True)
    return data


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
    if out.exists() and any(out.iterdir()):
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
    (out / JOURNAL).mkdir(parents=True, exist_ok=True)
    _write_json_atomic(path, manifest)


def collect(cfg: CollectConfig) -> CollectResult:
    """Run the collection described by ``cfg`` (resuming one in ``cfg.out``); see the module doc."""
    if cfg.episodes < 1:
        raise CollectError(f"--episodes must be >= 1, got {cfg.episodes}")
    if not 0.0 <= cfg.action_noise <= 1.0:
        raise CollectError(f"--action-noise must be in [0, 1], got {cfg.action_noise}")
    cfg = replace(cfg, out=cfg.out.resolve())  # Minari's storage mishandles relative folders
    threshold = _threshold(cfg)
    try:
        env = envs.make(cfg.env, max_episode_steps=cfg.max_episode_steps)
    except envs.UnknownTaskError as e:
        raise CollectError(str(e)) from None
    _check_storable(env.observation_space, "observation")
    _check_storable(env.action_space, "action")
    policy = make_policy(cfg.policy, env, cfg.env)
    labeler = make_policy(cfg.label, env, cfg.env, "--label") if cfg.label is not None else None
    check = ActionChecker(env.action_space)
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
    _open_out(cfg, manifest)
    journal = cfg.out / JOURNAL
    entries = read_journal(journal, cfg.seed)
    kept = sum(e.kept for e in entries)
    max_attempts = cfg.max_attempts if cfg.max_attempts is not None else 10 * cfg.episodes
    bar = tqdm(total=cfg.episodes, initial=min(kept, cfg.episodes), unit="ep",
               desc=cfg.env, disable=not cfg.progress, dynamic_ncols=True)
    steps_run, t0 = 0, time.monotonic()
    interrupted = False
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gato-collect-zlib")
    try:
        while kept < cfg.episodes:
            index = len(entries)
            if index >= max_attempts:
                raise CollectError(
                    f"{index} episodes rolled and only {kept} reached the return threshold "
                    f"{threshold}; lower the threshold or raise --max-attempts"
                )
            seed = cfg.seed + index
            obs, _ = env.reset(seed=seed)
            env.action_space.seed(seed)
            policy.reset()
            if labeler is not None:
                labeler.reset()
            noise = np.random.default_rng([seed, 1])
            episode = _Episode(seed, obs, env.observation_space, pool,
                               record_executed=labeler is not None or bool(cfg.action_noise))
            def where() -> str:
                return (f"policy {cfg.policy!r}, episode {index} (seed {seed}), "
                        f"step {len(episode.rewards)}")

            while True:
                action = check(policy.act(obs), where)
                label = action if labeler is None else check(labeler.act(obs), where)
                if cfg.action_noise:
                    action = perturb(action, env.action_space, cfg.action_noise, noise)
                obs, reward, terminated, truncated, _ = env.step(action)
                episode.add_step(label, reward, terminated, truncated, obs, executed=action)
                if terminated or truncated:
                    break
            steps_run += len(episode.rewards)
            keep = threshold is None or episode.ret >= threshold
            name = f"episode_{index:06d}"
            try:
                if keep:
                    episode.write(journal / f"{name}.hdf5", env.action_space)
                else:
                    _write_json_atomic(journal / f"{name}.dropped.json",
                                       {"seed": seed, "return": episode.ret,
                                        "length": len(episode.rewards)})
            except OSError as e:
                if e.errno in _DISK_FULL:
                    raise CollectError(
                        f"disk full while writing episode {index} to {journal}: {e.strerror}. "
                        f"The {kept} episodes recorded before it are intact; free some space "
                        f"and rerun the same command to resume"
                    ) from e
                raise
            entries.append(_JournalEntry(index, keep, episode.ret, len(episode.rewards)))
            kept += keep
            kept_returns = [e.ret for e in entries if e.kept]
            elapsed = time.monotonic() - t0
            bar.set_postfix(steps_per_s=f"{steps_run / max(elapsed, 1e-9):.0f}",
                            mean_return=f"{np.mean(kept_returns):.1f}" if kept_returns else "-",
                            dropped=len(entries) - kept, refresh=False)
            bar.update(int(keep))
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
    if not _dataset_is_current(data_path, used):
        try:
            finalize(cfg.out, manifest, env, used, policy.name)
        except OSError as e:
            if e.errno in _DISK_FULL:
                raise CollectError(f"disk full while assembling {data_path}: {e.strerror}. "
                                   f"All {kept} recorded episodes are intact in {journal}; "
                                   f"free some space and rerun the same command") from e
            raise
    env.close()
    result = CollectResult(cfg.out, data_path, sum(e.kept for e in used),
                           sum(not e.kept for e in used), [e.ret for e in used if e.kept],
                           steps_run / elapsed if steps_run else 0.0)
    if interrupted:
        raise KeyboardInterrupt(f"interrupted: {result.kept} episodes are saved in {data_path}; "
                                f"rerun the same command to resume")
    return result


def _dataset_is_current(data_path: Path, entries: list[_JournalEntry]) -> bool:
    """True if ``data_path`` already holds exactly the kept episodes of ``entries``."""
    try:
        meta = json.loads((data_path / "metadata.json").read_text())
    except (OSError, ValueError):
        return False
    kept = [e for e in entries if e.kept]
    if not (meta.get("episodes_kept") == len(kept)
            and meta.get("episodes_dropped") == len(entries) - len(kept)
            and meta.get("total_steps") == sum(e.steps for e in kept)):
        return False
    try:  # a damaged main file is rebuilt from the journal, never trusted
        with h5py.File(data_path / "main_data.hdf5", "r") as f:
            return len(f) == len(kept)
    except OSError:
        print(f"gato-collect: {data_path / 'main_data.hdf5'} is damaged; rebuilding it from "
              f"the episode journal", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``gato-collect``."""
    cfg = tyro.cli(CollectConfig, args=argv)
    try:
        result = collect(cfg)
    except CollectError as e:
        print(f"gato-collect: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"gato-collect: {e}", file=sys.stderr)
        return 130
    r = np.array(result.returns)
    print(f"{cfg.env}: kept {result.kept} episodes, dropped {result.dropped}; return "
          f"{r.mean():.2f} +- {r.std():.2f} (min {r.min():.2f}, max {r.max():.2f})")
    print(f"Minari dataset: {result.data_path}  (minari.MinariDataset({str(result.data_path)!r}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
