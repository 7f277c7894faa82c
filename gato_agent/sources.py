"""What `--dataset` names, as one task: a JAT config or folder (`jat:...`, gato_agent.jat_data), or a
Minari dataset by folder, id or Hub path (gato_agent.data.load_task, gato_agent.minari_episodes).
Every family reads its episodes on demand, so they mix in one run with --weight."""

from __future__ import annotations

import os

from gato_agent.config import GatoConfig
from gato_agent.data import TaskData, load_task
from gato_agent.episodes import DEFAULT_CACHE_BYTES
from gato_agent.jat_data import JAT_PREFIX, load_jat

__all__ = ["load_source"]


def load_source(source: str | os.PathLike, config: GatoConfig, executed_actions: bool = True,
                cache_bytes: int = DEFAULT_CACHE_BYTES) -> TaskData:
    """The task one --dataset names (see the module docstring)."""
    if str(source).startswith(JAT_PREFIX):
        return load_jat(str(source), config, cache_bytes)
    return load_task(source, config, executed_actions=executed_actions, cache_bytes=cache_bytes)
