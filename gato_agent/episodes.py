"""Tokenized episodes, held in memory or read from their files on demand through a bounded cache.

A task's episodes are an `EpisodeStore`: a sequence of `Episode`s over one or more readers (a
Minari dataset, a folder of JAT parquet files, a list in memory). Only each episode's length and
return are known up front; an episode is read and tokenized when a sequence first needs it, and
kept in a least-recently-used cache of at most `cache_bytes`, so memory is set by the cache, not by
the dataset's size. Each process (a DataLoader worker too) has its own cache.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

import numpy as np

__all__ = ["Episode", "EpisodeReader", "EpisodeStore", "DEFAULT_CACHE_BYTES"]

DEFAULT_CACHE_BYTES = 512 * 2**20  # tokenized episodes kept per process


@dataclass
class Episode:
    ids: np.ndarray  # (T, Timestep.stored_size) int32, one id per float; patch slots hold 0; action slots hold the labels
    images: np.ndarray  # (T, num_images, C, H, W) uint8, resized to the model's image size; one frame a
    # step (the model's frame stacks are made per batch, so memory stays at one frame a step)
    ret: float  # the episode's return
    executed: np.ndarray | None = None  # (T, action tokens) int32: the actions env.step received
    # where they may differ from the labels (DAgger, DART); None: the labels were executed

    def inputs(self, t0: int, t1: int) -> np.ndarray:
        """Steps [t0, t1) with the history the model reads, (t1 - t0, stored_size): the executed actions in
        the action slots, so the history is the one the acting policy saw."""
        ids = self.ids[t0:t1]
        if self.executed is None:
            return ids
        ids = ids.copy()
        ids[:, ids.shape[1] - self.executed.shape[1]:] = self.executed[t0:t1]
        return ids

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.images.nbytes + (0 if self.executed is None else self.executed.nbytes)


class EpisodeReader(Protocol):
    """Where a store's episodes come from: their lengths and returns up front, each episode on demand."""

    lengths: np.ndarray  # (n,) steps of each episode
    returns: np.ndarray  # (n,) float64 return of each episode
    lazy: bool  # true: `read` goes to a file (and its episodes are cached); false: they are in memory

    def read(self, i: int) -> Episode:
        """Episode i, tokenized."""


class _InMemory:
    """A reader over episodes already tokenized."""

    lazy = False

    def __init__(self, episodes: list[Episode]):
        self.episodes = episodes
        self.lengths = np.array([len(e.ids) for e in episodes], dtype=np.int64)
        self.returns = np.array([e.ret for e in episodes], dtype=np.float64)

    def read(self, i: int) -> Episode:
        return self.episodes[i]


class EpisodeStore(Sequence[Episode]):
    """The episodes of one task, over readers; `store[i]` reads episode i through the cache."""

    def __init__(self, readers: list[EpisodeReader], cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.readers = list(readers)
        self.cache_bytes = cache_bytes
        self.lengths = np.concatenate([r.lengths for r in self.readers]).astype(np.int64)  # (n,)
        self.returns = np.concatenate([r.returns for r in self.readers]).astype(np.float64)  # (n,)
        self._starts = np.cumsum([0] + [len(r.lengths) for r in self.readers]).tolist()
        self._cache: OrderedDict[int, Episode] = OrderedDict()
        self._cached = 0  # bytes in the cache

    @classmethod
    def of(cls, episodes: list[Episode]) -> EpisodeStore:
        """A store of episodes in memory."""
        return cls([_InMemory(episodes)])

    def __len__(self) -> int:
        return len(self.lengths)

    @overload
    def __getitem__(self, i: int) -> Episode: ...
    @overload
    def __getitem__(self, i: slice) -> list[Episode]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if not -len(self) <= i < len(self):
            raise IndexError(f"episode {i} of {len(self)}")
        i %= len(self)
        hit = self._cache.get(i)
        if hit is not None:
            self._cache.move_to_end(i)
            return hit
        part = bisect.bisect_right(self._starts, i) - 1
        reader = self.readers[part]
        episode = reader.read(i - self._starts[part])
        if reader.lazy:
            self._keep(i, episode)
        return episode

    def _keep(self, i: int, episode: Episode) -> None:
        """Cache episode i, dropping the least recently used ones past cache_bytes."""
        self._cache[i] = episode
        self._cached += episode.nbytes
        while self._cached > self.cache_bytes and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached -= old.nbytes

    def __add__(self, other: EpisodeStore) -> EpisodeStore:
        """Both stores' episodes, self's first (a merged task)."""
        return EpisodeStore(self.readers + other.readers, max(self.cache_bytes, other.cache_bytes))

    def __getstate__(self) -> dict[str, Any]:  # a worker process starts with an empty cache
        return {**self.__dict__, "_cache": OrderedDict(), "_cached": 0}
