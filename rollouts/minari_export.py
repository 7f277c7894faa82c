"""The Minari export of gato-collect: ``<out>/data`` assembled from the episode journal.

HDF5's object copy moves each journal episode group, compressed chunks as they are, into a fresh
``main_data.hdf5``, and Minari's own ``MinariStorage`` writes ``metadata.json`` (with the
collection's policy, seeds, return filter and return statistics). It is built in ``data.tmp/``
and renamed into place, so ``data/`` is always a complete dataset of the episodes it names.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec
import h5py
import numpy as np

import envs
from gato_agent.atomic import fsync
from rollouts.journal import JournalEntry, episode_file

__all__ = ["DATA", "JOURNAL", "dataset_id_for", "dataset_is_current", "finalize"]

JOURNAL = "episodes"  # the journal folder inside a collection's --out
DATA = "data"  # the Minari dataset folder inside a collection's --out


def dataset_id_for(out: Path) -> str:
    """The Minari dataset id recorded for ``out``: its name, with ``-v0`` added if unversioned."""
    name = out.resolve().name
    return name if re.fullmatch(r".+-v\d+", name) else f"{name}-v0"


def finalize(out: Path, manifest: dict, env: gym.Env, entries: list[JournalEntry],
             policy_name: str) -> Path:
    """(Re)build ``out/data`` from the journal entries given: their kept episodes, and metadata."""
    from minari import __version__ as minari_version
    from minari.dataset.minari_storage import MinariStorage

    data, tmp, old = out / DATA, out / (DATA + ".tmp"), out / (DATA + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    kept = [e for e in entries if e.kept]
    files = [episode_file(out / JOURNAL, e.index) for e in kept]
    # HDF5 fails messily on a failed write: check the space first (the copy is about as large).
    need = sum(f.stat().st_size for f in files) + (1 << 20)
    free = shutil.disk_usage(out).free
    if free < need:
        raise OSError(errno.ENOSPC, f"{need / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free")
    tmp.mkdir()
    storage = MinariStorage.new(tmp, observation_space=env.observation_space,
                                action_space=env.action_space, env_spec=_storable_spec(env.spec),
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
    if "steps_after_success" in manifest:
        metadata["steps_after_success"] = manifest["steps_after_success"]
    if ref is not None:
        metadata["ref_min_score"], metadata["ref_max_score"] = ref.random, ref.expert
    storage.update_metadata(metadata)
    storage.update_metadata({"dataset_size": storage.get_size()})
    for path in (tmp / "main_data.hdf5", tmp / "metadata.json"):
        fsync(path)
    if data.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(data, old)
    os.replace(tmp, data)
    shutil.rmtree(old, ignore_errors=True)
    return data



def _storable_spec(spec: EnvSpec | None) -> EnvSpec | None:
    """The env's spec as Minari can store it (as JSON): an entry point given as a class or function
    (`gym.register(id, entry_point=MyEnv)`) is written as its "module:Name" string; a spec that still
    cannot be serialized (a callable among its kwargs) is stored as none."""
    if spec is not None and callable(spec.entry_point):
        spec = dataclasses.replace(spec, entry_point=f"{spec.entry_point.__module__}:{spec.entry_point.__qualname__}")
    if spec is None:
        return None
    try:
        spec.to_json()
    except (ValueError, TypeError):
        return None
    return spec


def dataset_is_current(data_path: Path, entries: list[JournalEntry]) -> bool:
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
