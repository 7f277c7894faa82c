"""JAT's dataset (jat-project/jat-dataset on the Hugging Face Hub) as gato-train tasks.

`--dataset jat:<config>` reads a config (one task, e.g. `jat:mujoco-hopper`) through the `datasets`
library (the Hugging Face cache, else the Hub; extra `jat`); `--dataset jat:<folder>` reads a folder
of its parquet files as the Hub stores them (`<config>/train-*.parquet`, the folder named like the
config). A row is a whole episode: `rewards` and, by domain, `continuous_observations` and
`continuous_actions` (MuJoCo, Meta-World), `image_observations` and `discrete_actions` (Atari),
`text_observations`, `discrete_observations` and `discrete_actions` (BabyAI). Only the rewards
column is read up front; an episode's row is read when a batch first needs it (a parquet row group,
or a row of the memory-mapped Arrow table that `datasets` keeps).

What each domain becomes (the spaces are those of the wrappers JAT recorded with, jat/eval/rl/core.py):

- mujoco-*: the MuJoCo v4 env (`Hopper-v4`, ...), its own spaces; the task is named by that id.
  v4 differs from the v5 tasks of this project in some observation sizes (Ant 27 vs 105,
  Humanoid and HumanoidStandup 376 vs 348, InvertedDoublePendulum 11 vs 9, Reacher 11 vs 10) and in
  details of the dynamics and rewards, so a v4 task never merges with a v5 one.
- atari-*: the ALE game (`ALE/Breakout-v5`) behind JAT's wrapper (no-op starts, max-pool over 4
  skipped frames, episodic life, fire on reset, clipped rewards, 84x84 grayscale, 4 frames stacked).
  Each step stores its 4-frame stack as an RGBA PNG; the newest frame (the last channel) is kept as an
  84x84 grayscale image, the model's --frame-stack rebuilding the stack. Task `jat/atari-breakout`:
  its observations are not those of this project's ALE tasks (210x160 RGB, sticky actions).
- babyai-*: the BabyAI level with JAT's flattening: the mission as text and [direction, 7x7x3 grid]
  as 148 discrete values; 7 actions. Task `jat/babyai-go-to`.
- metaworld-*: the Meta-World v2 task: 39 continuous observations, 4 actions in [-1, 1]. Task
  `jat/metaworld-assembly` (Meta-World is not a dependency, so it is not evaluated here).

Other configs (text and image-caption data: conceptual-captions, oscar, ok-vqa, wikipedia) are refused.
"""

from __future__ import annotations

import io
import os
import string
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from gato_agent.config import GatoConfig
from gato_agent.data import TaskData, tokenize_steps
from gato_agent.episodes import DEFAULT_CACHE_BYTES, Episode, EpisodeStore
from gato_agent.extras import require
from gato_agent.spaces import ActionCodec, ObservationCodec

__all__ = ["JAT_PREFIX", "HUB_REPO", "JatTask", "jat_task", "load_jat"]

JAT_PREFIX = "jat:"
HUB_REPO = "jat-project/jat-dataset"
DOMAINS = ("atari-", "babyai-", "metaworld-", "mujoco-")
MUJOCO = {
    "mujoco-ant": "Ant-v4", "mujoco-doublependulum": "InvertedDoublePendulum-v4", "mujoco-halfcheetah": "HalfCheetah-v4",
    "mujoco-hopper": "Hopper-v4", "mujoco-humanoid": "Humanoid-v4", "mujoco-pendulum": "InvertedPendulum-v4",
    "mujoco-pusher": "Pusher-v4", "mujoco-reacher": "Reacher-v4", "mujoco-standup": "HumanoidStandup-v4",
    "mujoco-swimmer": "Swimmer-v4", "mujoco-walker": "Walker2d-v4",
}  # JAT's TASK_NAME_TO_ENV_ID
BABYAI_EXCEPTIONS = {"babyai-put-next": "BabyAI-PutNextS7N4-v0"}  # the one level its config does not spell
METAWORLD_OBS, METAWORLD_ACT = 39, 4  # Meta-World v2's observation and action sizes


@dataclass(frozen=True)
class JatTask:
    """A JAT config mapped to the env it was recorded on and the spaces the model reads."""

    config: str  # e.g. mujoco-hopper
    name: str  # the task's name in checkpoints
    env_id: str  # the Gymnasium env JAT recorded (through the wrappers the module docstring lists)
    observation_space: spaces.Space
    action_space: spaces.Space
    columns: tuple[str, ...]  # the parquet columns an episode needs
    observations: Callable[[dict], Any]  # a row -> its observations, leading dim time
    actions: Callable[[dict], np.ndarray]  # a row -> its actions (T, ...)


def jat_task(config: str) -> JatTask:
    """The mapping of one JAT config; ValueError (one line, listing the supported prefixes) for a
    config whose spaces cannot be mapped."""
    import gymnasium as gym

    if config.startswith("mujoco-"):
        if config not in MUJOCO:
            raise ValueError(f"jat:{config}: not a MuJoCo config of JAT's dataset; known: {', '.join(sorted(MUJOCO))}")
        with warnings.catch_warnings():  # gymnasium warns that v4 is out of date: JAT recorded on it
            warnings.simplefilter("ignore", DeprecationWarning)
            env = gym.make(MUJOCO[config])
        obs, act = env.observation_space, env.action_space
        env.close()
        return JatTask(config, MUJOCO[config], MUJOCO[config], obs, act, ("continuous_observations", "continuous_actions"),
                       _continuous_observations, _continuous_actions)
    if config.startswith("metaworld-"):
        name = config.removeprefix("metaworld-")
        return JatTask(config, f"jat/{config}", f"{name}-v2", spaces.Box(-np.inf, np.inf, (METAWORLD_OBS,), np.float64),
                       spaces.Box(-1.0, 1.0, (METAWORLD_ACT,), np.float32), ("continuous_observations", "continuous_actions"),
                       _continuous_observations, _continuous_actions)
    if config.startswith("atari-"):
        import ale_py

        gym.register_envs(ale_py)
        game = config.removeprefix("atari-")
        ids = [i for i in gym.registry if i.startswith("ALE/") and i.endswith("-v5") and i[4:-3].lower() == game]
        if not ids:
            raise ValueError(f"jat:{config}: no ALE game {game!r} among the Atari envs (ALE/<Game>-v5)")
        env = gym.make(ids[0])
        act = env.action_space  # JAT kept the game's minimal action set
        env.close()
        return JatTask(config, f"jat/{config}", ids[0], spaces.Box(0, 255, (84, 84), np.uint8), act,
                       ("image_observations", "discrete_actions"), _newest_frames, _discrete_actions)
    if config.startswith("babyai-"):
        words = config.removeprefix("babyai-").split("-")
        env_id = BABYAI_EXCEPTIONS.get(config) or "BabyAI-" + "".join(w.capitalize() if w.isalpha() else w.upper() for w in words) + "-v0"
        obs = spaces.Dict({"text_observation": spaces.Text(256, charset=string.printable),
                           "discrete_observation": spaces.MultiDiscrete([4] + [255] * 147)})
        return JatTask(config, f"jat/{config}", env_id, obs, spaces.Discrete(7),
                       ("text_observations", "discrete_observations", "discrete_actions"), _babyai_observations, _discrete_actions)
    raise ValueError(f"jat:{config}: gato-train maps only JAT's RL configs, those starting with {', '.join(DOMAINS)} "
                     "(e.g. jat:mujoco-hopper, jat:atari-breakout, jat:babyai-go-to, jat:metaworld-assembly)")


def _continuous_observations(row: dict) -> np.ndarray:
    return np.asarray(row["continuous_observations"], dtype=np.float64)  # (T, obs)


def _continuous_actions(row: dict) -> np.ndarray:
    return np.asarray(row["continuous_actions"], dtype=np.float32)  # (T, act)


def _discrete_actions(row: dict) -> np.ndarray:
    return np.asarray(row["discrete_actions"], dtype=np.int64)  # (T,)


def _newest_frames(row: dict) -> np.ndarray:
    """Each step's 84x84x4 frame stack (a PNG) -> its newest frame, (T, 84, 84) uint8."""
    from PIL import Image

    frames = [np.asarray(Image.open(io.BytesIO(image["bytes"])))[..., -1] for image in row["image_observations"]]
    return np.stack(frames).astype(np.uint8)


def _babyai_observations(row: dict) -> dict[str, Any]:
    return {"text_observation": np.asarray(row["text_observations"]),  # (T,) str
            "discrete_observation": np.asarray(row["discrete_observations"], dtype=np.int64)}  # (T, 148)


class _ParquetRows:
    """The rows (episodes) of parquet files, a row group read at a time (the last one kept)."""

    def __init__(self, files: list[Path], columns: tuple[str, ...]):
        import pyarrow.parquet as pq

        self.files, self.columns = files, list(columns)
        self.where: list[tuple[int, int, int]] = []  # (file, row group, row in it) of each episode
        rewards = []
        for f, path in enumerate(files):
            parquet = pq.ParquetFile(path)
            missing = sorted(set(columns) - set(parquet.schema_arrow.names))
            if missing:
                raise ValueError(f"{path} lacks the column(s) {missing} this config's episodes need "
                                 f"(it has {parquet.schema_arrow.names})")
            for g in range(parquet.num_row_groups):
                rewards.append(parquet.read_row_group(g, columns=["rewards"]).column("rewards"))
                self.where += [(f, g, r) for r in range(parquet.metadata.row_group(g).num_rows)]
        self.lengths, self.returns = _lengths_and_returns(rewards)
        self._group: tuple[tuple[int, int], Any] | None = None

    def row(self, i: int) -> dict:
        import pyarrow.parquet as pq

        f, g, r = self.where[i]
        if self._group is None or self._group[0] != (f, g):
            self._group = ((f, g), pq.ParquetFile(self.files[f]).read_row_group(g, columns=self.columns + ["rewards"]))
        return self._group[1].slice(r, 1).to_pylist()[0]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_group": None}


class _ArrowRows:
    """The rows of the memory-mapped Arrow table that `datasets` caches for a config."""

    def __init__(self, table: Any, columns: tuple[str, ...]):
        missing = sorted(set(columns) - set(table.column_names))
        if missing:
            raise ValueError(f"the config lacks the column(s) {missing} its episodes need (it has {table.column_names})")
        self.table, self.columns = table, list(columns) + ["rewards"]
        self.lengths, self.returns = _lengths_and_returns([table.column("rewards")])

    def row(self, i: int) -> dict:
        return self.table.slice(i, 1).select(self.columns).to_pylist()[0]


def _lengths_and_returns(columns: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Reward list columns (one list an episode) -> each episode's steps and return."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rewards = pa.chunked_array([chunk for column in columns for chunk in column.chunks])
    lengths = pc.list_value_length(rewards).to_numpy(zero_copy_only=False).astype(np.int64)
    values = pc.list_flatten(rewards).to_numpy(zero_copy_only=False).astype(np.float64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    returns = np.add.reduceat(values, starts) if len(values) else np.zeros(len(lengths))
    return lengths, np.where(lengths > 0, returns, 0.0)


class JatEpisodes:
    """A JAT config's non-empty episodes, each read and tokenized on demand (an EpisodeReader)."""

    lazy = True

    def __init__(self, rows: _ParquetRows | _ArrowRows, task: JatTask, obs_codec: ObservationCodec, act_codec: ActionCodec):
        self.rows, self.task, self.obs_codec, self.act_codec = rows, task, obs_codec, act_codec
        self.indices = np.flatnonzero(rows.lengths > 0)  # (n,) rows with at least one step
        self.lengths, self.returns = rows.lengths[self.indices], rows.returns[self.indices]

    def read(self, i: int) -> Episode:
        row = self.rows.row(int(self.indices[i]))
        steps = len(row["rewards"])
        ids, images = tokenize_steps(self.obs_codec, self.act_codec, self.task.observations(row), self.task.actions(row), steps)
        return Episode(ids, images, float(np.sum(row["rewards"], dtype=np.float64)))


def load_jat(source: str, config: GatoConfig, cache_bytes: int = DEFAULT_CACHE_BYTES) -> TaskData:
    """`jat:<config>` or `jat:<folder>` as one task (see the module docstring)."""
    spec = source.removeprefix(JAT_PREFIX)
    folder = Path(spec)
    if not folder.is_dir() and ("/" in spec or spec.startswith(".")):
        raise FileNotFoundError(f"{source}: no such folder (jat:<config> names a config, e.g. jat:mujoco-hopper)")
    if folder.is_dir() and not folder.name.startswith(DOMAINS):
        raise ValueError(f"{source}: a folder of JAT parquet files is named like its config (e.g. mujoco-hopper), "
                         f"and {folder.name!r} starts with none of {', '.join(DOMAINS)}")
    task = jat_task(folder.name if folder.is_dir() else spec)
    if folder.is_dir():
        files = sorted(folder.glob("train-*.parquet")) or sorted(folder.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"{source}: the folder holds no parquet files (JAT's layout: <config>/train-*.parquet)")
        rows: _ParquetRows | _ArrowRows = _ParquetRows(files, task.columns)
    else:
        rows = _ArrowRows(_hub_table(task.config, source), task.columns)
    obs_codec = ObservationCodec(task.observation_space, config)
    act_codec = ActionCodec(task.action_space, config)
    reader = JatEpisodes(rows, task, obs_codec, act_codec)
    if not len(reader.lengths):
        raise ValueError(f"{source} has no episodes with at least one step")
    data = TaskData(task.name, source, obs_codec, act_codec, EpisodeStore([reader], cache_bytes))
    if data.step_tokens > config.context_length:
        raise ValueError(f"{task.name}: one timestep is {data.step_tokens} tokens, more than the context of {config.context_length}")
    return data


def _hub_table(name: str, source: str) -> Any:
    """The train split of a config from the Hugging Face cache or the Hub, as its memory-mapped Arrow table."""
    datasets = require("datasets", "jat", f"--dataset {source}")
    try:
        dataset = datasets.load_dataset(HUB_REPO, name, split="train")
    except Exception as e:  # datasets and huggingface_hub raise many types offline or for a missing config
        cache = os.environ.get("HF_HOME", "~/.cache/huggingface")
        detail = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise FileNotFoundError(f"{source}: not in the Hugging Face cache ({cache}) and not loadable from the Hub "
                                f"({type(e).__name__}: {detail}); online, run it once to cache it, or pass a folder "
                                f"of its parquet files as jat:<folder>/{name}") from None
    return dataset.data.table
