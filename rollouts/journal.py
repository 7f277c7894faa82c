"""The episode journal of gato-collect: one crash-safe HDF5 file per finished episode.

Each file holds one group ``episode`` in exactly the layout Minari uses for an episode
(observations T+1, actions, rewards, terminations, truncations; the seed as an attribute), so
the Minari export only copies groups. Dict and Tuple observations are nested groups, as Minari
writes them (Dict: one group member per key; Tuple: ``_index_0``, ``_index_1``, ...); a Text
observation (a BabyAI mission) is a dataset of UTF-8 strings, which Minari reads back as str. When the
executed action can differ from the recorded one, ``infos/executed_action`` holds what
``env.step`` received (T rows).

Image leaves (:func:`gato_agent.spaces.is_image_space`) are stored losslessly with HDF5's gzip
filter at level 1 in chunks of 8 frames, compressed by a worker thread while the episode runs
(zlib releases the GIL) and written with ``write_direct_chunk``.

A file is written under a temporary name, fsynced and renamed, so after any crash it either is a
complete episode or does not exist. Episodes the return filter drops leave a small
``.dropped.json`` record instead. File ``i`` always holds the episode reset with seed ``seed + i``.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from gymnasium import spaces

from gato_agent.atomic import write_atomic
from gato_agent.spaces import is_image_space

__all__ = ["CollectError", "EpisodeRecorder", "JournalEntry", "check_storable", "episode_file", "read_journal",
           "write_dropped"]

FRAME_CHUNK = 8  # frames per compressed HDF5 chunk of image observations
GZIP_LEVEL = 1  # zlib level of image chunks: fast, and screens compress ~50x anyway
_EPISODE_FILE = re.compile(r"episode_(\d{6})\.(hdf5|dropped\.json)$")
_ARRAYS = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)


class CollectError(RuntimeError):
    """A collection that cannot go on; the message says what was wrong and what is accepted."""


def episode_file(journal: Path, index: int, kept: bool = True) -> Path:
    """The journal file of attempt ``index``: its episode, or the record of its being dropped."""
    return journal / f"episode_{index:06d}.{'hdf5' if kept else 'dropped.json'}"


def check_storable(space: spaces.Space, what: str, path: str = "") -> None:
    """CollectError unless ``space`` is an array space, or Dict/Tuple nests of them (observations:
    Text leaves too)."""
    if isinstance(space, spaces.Dict):
        for key, sub in space.spaces.items():
            check_storable(sub, what, f"{path}[{key!r}]")
    elif isinstance(space, spaces.Tuple):
        for i, sub in enumerate(space.spaces):
            check_storable(sub, what, f"{path}[{i}]")
    elif not (isinstance(space, _ARRAYS) or (what == "observation" and isinstance(space, spaces.Text))):
        text = " (observations: and Text)" if what == "observation" else ""
        raise CollectError(f"gato-collect stores {what}s of Box, Discrete, MultiDiscrete and MultiBinary spaces{text}, "
                           f"and Dict and Tuple nests of them; this task's {what}{path} space is {space}")


@dataclass(frozen=True)
class _Leaf:
    names: tuple[str, ...]  # HDF5 group path under "observations" (Dict keys, "_index_i" for Tuples)
    keys: tuple[Any, ...]  # how to reach the leaf in an observation (Dict keys, Tuple indices)
    space: spaces.Space  # the leaf's array space


def _leaves(space: spaces.Space, names: tuple = (), keys: tuple = ()) -> list[_Leaf]:
    if isinstance(space, spaces.Dict):
        return [leaf for k, sub in space.spaces.items() for leaf in _leaves(sub, (*names, k), (*keys, k))]
    if isinstance(space, spaces.Tuple):
        return [leaf for i, sub in enumerate(space.spaces) for leaf in _leaves(sub, (*names, f"_index_{i}"), (*keys, i))]
    return [_Leaf(names, keys, space)]


class _Frames:
    """Image frames of one leaf, compressed in chunks in the background as they come."""

    def __init__(self, space: spaces.Space, pool: ThreadPoolExecutor) -> None:
        self.space, self.pool = space, pool
        self.chunks: list[Future[bytes]] = []  # compressed chunks, in order
        self.pending: list[np.ndarray] = []  # frames not yet in a chunk
        self.count = 0

    def append(self, frame: Any) -> None:
        self.pending.append(np.asarray(frame, dtype=np.uint8))
        self.count += 1
        if len(self.pending) == FRAME_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows = self._chunk_rows()
        block = np.zeros((rows, *self.space.shape), dtype=np.uint8)  # edge chunk: pad
        block[: len(self.pending)] = self.pending
        self.pending = []
        self.chunks.append(self.pool.submit(zlib.compress, block.tobytes(), GZIP_LEVEL))

    def _chunk_rows(self) -> int:
        """Frames per chunk: FRAME_CHUNK, or all of an episode shorter than that (HDF5 refuses a chunk
        larger than its dataset); called at write time only while no chunk is full."""
        return FRAME_CHUNK if self.count >= FRAME_CHUNK else self.count

    def write(self, group: h5py.Group, name: str) -> None:
        self.flush()
        d = group.create_dataset(name, shape=(self.count, *self.space.shape), dtype=np.uint8,
                                 chunks=(self._chunk_rows(), *self.space.shape), compression="gzip",
                                 compression_opts=GZIP_LEVEL)
        for i, chunk in enumerate(self.chunks):
            d.id.write_direct_chunk((i * FRAME_CHUNK,) + (0,) * len(self.space.shape), chunk.result())


class _Arrays:
    """Non-image values of one leaf."""

    def __init__(self, space: spaces.Space) -> None:
        self.space, self.values = space, []

    def append(self, value: Any) -> None:
        self.values.append(np.asarray(value, dtype=self.space.dtype))

    def write(self, group: h5py.Group, name: str) -> None:
        group.create_dataset(name, data=np.stack(self.values))


class _Texts:
    """Text values of one leaf, stored as Minari stores Text: variable-length UTF-8 strings."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def append(self, value: Any) -> None:
        self.values.append(str(value))

    def write(self, group: h5py.Group, name: str) -> None:
        group.create_dataset(name, data=self.values, dtype=h5py.string_dtype(encoding="utf-8"))


def _column(space: spaces.Space, pool: ThreadPoolExecutor) -> _Frames | _Arrays | _Texts:
    if isinstance(space, spaces.Text):
        return _Texts()
    return _Frames(space, pool) if is_image_space(space) else _Arrays(space)


class EpisodeRecorder:
    """One episode being recorded: observations (any nest of array and Text spaces), actions, rewards, ends."""

    def __init__(self, seed: int, obs: Any, obs_space: spaces.Space, pool: ThreadPoolExecutor,
                 record_executed: bool = False) -> None:
        """Start the episode reset with ``seed`` at observation ``obs``; ``pool`` compresses images."""
        self.seed = seed
        self._leaves = _leaves(obs_space)
        self._columns = [_column(leaf.space, pool) for leaf in self._leaves]
        self.actions: list[Any] = []  # the recorded (label) actions
        self.executed: list[Any] | None = [] if record_executed else None  # what env.step got
        self.rewards: list[float] = []
        self.terminations: list[bool] = []
        self.truncations: list[bool] = []
        self._add_obs(obs)

    def _add_obs(self, obs: Any) -> None:
        for leaf, column in zip(self._leaves, self._columns):
            value = obs
            for key in leaf.keys:
                value = value[key]
            column.append(value)

    def add_step(self, action: Any, reward: float, terminated: bool, truncated: bool, obs: Any,
                 executed: Any = None) -> None:
        """Record one ``env.step``: the label ``action``, its outcome, and the ``executed`` action."""
        self.actions.append(action)
        if self.executed is not None:
            self.executed.append(executed)
        self.rewards.append(float(reward))
        self.terminations.append(bool(terminated))
        self.truncations.append(bool(truncated))
        self._add_obs(obs)

    @property
    def ret(self) -> float:
        """The episode's return so far."""
        return float(np.sum(self.rewards))

    def write(self, path: Path, action_space: spaces.Space) -> None:
        """Write the episode to ``path`` atomically and durably.

        The HDF5 file is built in memory and written with plain file I/O: a full disk is then an
        ordinary OSError, where HDF5 itself fails messily (or crashes) on a failed write.
        """
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            g = f.create_group("episode")
            g.attrs["seed"] = self.seed
            g.attrs["total_steps"] = len(self.rewards)
            for leaf, column in zip(self._leaves, self._columns):
                if not leaf.names:
                    column.write(g, "observations")
                else:
                    column.write(g.require_group("/".join(("observations", *leaf.names[:-1]))), leaf.names[-1])
            shape = (len(self.actions), *action_space.shape)
            g.create_dataset("actions", data=np.asarray(self.actions, dtype=action_space.dtype).reshape(shape))
            if self.executed is not None:
                executed = np.asarray(self.executed, dtype=action_space.dtype).reshape(shape)
                g.create_group("infos").create_dataset("executed_action", data=executed)
            g.create_dataset("rewards", data=np.asarray(self.rewards, dtype=np.float64))
            g.create_dataset("terminations", data=np.asarray(self.terminations))
            g.create_dataset("truncations", data=np.asarray(self.truncations))
        write_atomic(path, buffer.getbuffer(), durable=True)


def write_dropped(journal: Path, index: int, seed: int, ret: float, length: int) -> None:
    """Record that attempt ``index`` was rolled and dropped by the return filter."""
    record = {"seed": seed, "return": ret, "length": length}
    write_atomic(episode_file(journal, index, kept=False), json.dumps(record, indent=1), durable=True)


@dataclass
class JournalEntry:
    """One finished attempt of the journal."""

    index: int  # attempt index: the episode was reset with seed + index
    kept: bool  # an episode file (True) or a dropped record (False)
    ret: float  # the episode's return
    steps: int  # the episode's length


def _observation_lengths(node: h5py.Group | h5py.Dataset) -> list[int]:
    if isinstance(node, h5py.Dataset):
        return [node.shape[0]]
    return [n for key in node for n in _observation_lengths(node[key])]


def _read_entry(path: Path, index: int, seed: int, kept: bool) -> JournalEntry:
    if not kept:
        record = json.loads(path.read_text())
        if record["seed"] != seed + index:
            raise ValueError("inconsistent seed")
        return JournalEntry(index, False, float(record["return"]), int(record["length"]))
    with h5py.File(path, "r") as f:
        g = f["episode"]
        steps = int(g.attrs["total_steps"])
        ok = (int(g.attrs["seed"]) == seed + index and g["rewards"].shape == (steps,)
              and g["actions"].shape[0] == steps
              and set(_observation_lengths(g["observations"])) == {steps + 1}
              and g["terminations"].shape == (steps,) and g["truncations"].shape == (steps,))
        ret = float(np.sum(g["rewards"][()]))
    if not ok:
        raise ValueError("inconsistent lengths or seed")
    return JournalEntry(index, True, ret, steps)


def read_journal(journal: Path, seed: int) -> list[JournalEntry]:
    """The finished attempts in ``journal``, in order; CollectError naming any gap or bad file.

    Leftover ``*.tmp`` files (an episode being written when the process died) are removed.
    """
    for tmp in journal.glob(".*.tmp"):
        tmp.unlink()
    entries: dict[int, JournalEntry] = {}
    for path in sorted(journal.iterdir()):
        m = _EPISODE_FILE.match(path.name)
        if not m:
            raise CollectError(f"unexpected file {path} in the episode journal; the journal "
                               f"holds only episode_NNNNNN.hdf5 and episode_NNNNNN.dropped.json")
        index = int(m.group(1))
        if index in entries:
            raise CollectError(f"episode {index} is in the journal twice ({path}); corrupt journal")
        try:
            entries[index] = _read_entry(path, index, seed, m.group(2) == "hdf5")
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
