"""Minari datasets, opened by folder, local id, download, or Hub path, and read an episode at a time.

`open_minari` finds a dataset: a folder (gato-collect's --out, or a Minari data folder), a dataset
id in the local Minari cache (MINARI_DATASETS_PATH, default ~/.minari/datasets), else downloads the
id from Minari's remote (`minari.load_dataset(id, download=True)`); `hf:<org>/<namespace>/<name>-vN`
downloads from the Hub repo `<org>/<namespace>` (Minari's own Hub layout, as
`minari download hf://<org>/<namespace>/<name>-vN` does) into the same cache.

`MinariEpisodes` is an `EpisodeReader`: at open it reads each episode's step count (an attribute)
and rewards, nothing else; `read(i)` decodes episode i (h5py, inside Minari's storage) when a batch
first needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gato_agent.episodes import Episode

__all__ = ["MinariEpisodes", "open_minari", "MINARI_HUB_PREFIX"]

MINARI_HUB_PREFIX = "hf:"
_DATASET_ID = re.compile(r"([\w.-]+/)*[\w.-]+-v\d+")  # Minari's namespace/name-vN


def open_minari(source: str | os.PathLike):
    """A MinariDataset from a folder, a local or downloadable dataset id, or `hf:<org>/<id>`.
    FileNotFoundError (one line) when there is none; offline, it says how to get the id."""
    import minari

    path = Path(source)
    for candidate in (path / "data", path):
        if (candidate / "main_data.hdf5").is_file() and (candidate / "metadata.json").is_file():
            try:
                return minari.MinariDataset(str(candidate))
            except (OSError, ValueError, KeyError, TypeError) as e:  # metadata.json not JSON, spaces that do not parse
                raise ValueError(f"dataset {source}: {candidate / 'metadata.json'} cannot be read "
                                 f"({type(e).__name__}: {_first_line(e)})") from None
    if path.exists():
        raise FileNotFoundError(
            f"{source} holds no Minari dataset (expected main_data.hdf5 and metadata.json in it or in {source}/data)"
        )
    source = str(source)
    if not _DATASET_ID.fullmatch(source.removeprefix(MINARI_HUB_PREFIX)):
        raise FileNotFoundError(f"no Minari dataset at {source!r}: no such folder, and not a dataset id "
                                "(namespace/name-vN, or hf:<org>/<namespace>/<name>-vN)")
    remote, dataset_id = None, source
    if source.startswith(MINARI_HUB_PREFIX):
        org, _, dataset_id = source[len(MINARI_HUB_PREFIX):].partition("/")
        if not org or dataset_id.count("/") < 1:
            raise FileNotFoundError(f"--dataset {source}: a Minari dataset on the Hub is hf:<org>/<namespace>/<name>-vN "
                                    "(the repo <org>/<namespace> holding <name>-vN/data/)")
        remote = f"hf://{org}/{dataset_id}"
    try:
        return minari.load_dataset(dataset_id)
    except (FileNotFoundError, ValueError):
        pass
    where = os.environ.get("MINARI_DATASETS_PATH", "~/.minari/datasets")
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise FileNotFoundError(f"no Minari dataset at {source!r}: not a folder nor in the local Minari cache ({where}), "
                                f"and HF_HUB_OFFLINE is set; online, run `minari download {remote or dataset_id}` first")
    try:
        if remote is not None:
            minari.download_dataset(remote)
            return minari.load_dataset(dataset_id)
        return minari.load_dataset(dataset_id, download=True)
    except Exception as e:  # minari and huggingface_hub raise many types for an unknown id or no network
        raise FileNotFoundError(
            f"no Minari dataset at {source!r}: neither a folder nor a dataset id in the local Minari cache ({where}), "
            f"and downloading it failed ({type(e).__name__}: {_first_line(e)}); online, run `minari download "
            f"{remote or dataset_id}` (or pass a folder)"
        ) from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else "no message"


class MinariEpisodes:
    """The non-empty episodes of a Minari dataset, each read and tokenized on demand."""

    lazy = True

    def __init__(self, dataset: Any, tokenize: Callable[[Any], Episode]):
        """tokenize: a Minari EpisodeData -> its Episode."""
        self.dataset = dataset
        self.tokenize = tokenize
        indices = np.asarray(dataset.episode_indices)
        steps = np.array([int(m["total_steps"]) for m in dataset.storage.get_episode_metadata(indices)], dtype=np.int64)
        self.indices = indices[steps > 0]  # (n,) the storage's episode ids
        self.lengths = steps[steps > 0]  # (n,)
        self.returns = _returns(dataset, self.indices)  # (n,)
        self.reads = 0  # episodes decoded so far in this process

    def actions(self) -> Iterator[tuple[int, np.ndarray]]:
        """(storage episode id, its actions) of each episode, its actions alone read with h5py (HDF5
        storage), or, in another storage, each episode decoded and dropped."""
        main = Path(self.dataset.storage.data_path) / "main_data.hdf5"
        if main.is_file():
            import h5py

            with h5py.File(main, "r") as f:
                for i in self.indices:
                    yield int(i), f[f"episode_{i}"]["actions"][()]
            return
        for episode in self.dataset.iterate_episodes(list(self.indices)):
            yield int(episode.id), np.asarray(episode.actions)

    def read(self, i: int) -> Episode:
        self.reads += 1
        (episode,) = self.dataset.iterate_episodes([int(self.indices[i])])
        return self.tokenize(episode)


def _returns(dataset: Any, indices: np.ndarray) -> np.ndarray:
    """Each episode's return: its rewards array alone read with h5py (HDF5 storage), or, in another
    storage, every episode decoded once and dropped."""
    main = Path(dataset.storage.data_path) / "main_data.hdf5"
    if main.is_file():
        import h5py

        with h5py.File(main, "r") as f:
            return np.array([float(np.sum(f[f"episode_{i}"]["rewards"][()])) for i in indices], dtype=np.float64)
    return np.array([float(np.sum(ep.rewards)) for ep in dataset.iterate_episodes(list(indices))], dtype=np.float64)
