"""Where training metrics go: metrics.jsonl always, TensorBoard and Weights & Biases on request.

A row is a dict of scalars and of dicts of scalars (`task_loss: {task: value}`). metrics.jsonl
keeps it as it is, one JSON object a line with the step and the wall time; TensorBoard and W&B get
the same numbers flattened (`task_loss/<task>`, `eval/<task>/return`). Both are optional extras
(`pip install 'gato-agent[tensorboard]'`, `'gato-agent[wandb]'`). A resumed run continues the same
TensorBoard folder (rows after the resumed step are dropped) and the same W&B run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from gato_agent.atomic import write_atomic
from gato_agent.extras import require

__all__ = ["LoggerName", "Logger", "JsonlLogger", "TensorBoardLogger", "WandbLogger", "check_loggers", "make_loggers", "flatten"]

LoggerName = Literal["jsonl", "tensorboard", "wandb"]
METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"
WANDB_ID_FILE = "wandb-run-id"


class Logger(Protocol):
    """A destination for rows of metrics."""

    def log(self, step: int, values: dict[str, Any]) -> None:
        """Record one row of scalars (and dicts of scalars) at optimizer step `step`."""

    def close(self) -> None:
        """Flush and release what the logger holds."""


class JsonlLogger:
    """Appends each row to a JSON-lines file (`{"step": ..., "time": ..., **values}`).

    Each step appears once: a fresh run (resume_step None) starts the file anew, dropping the rows
    of a killed run started again; a resumed run keeps the rows up to its checkpoint's step and
    drops those the interrupted run wrote after it (and a line cut short by a crash or full disk).
    """

    def __init__(self, path: Path, resume_step: int | None = None):
        self.path = path
        if resume_step is None:
            path.unlink(missing_ok=True)
        elif path.exists():
            kept = [line for line in path.read_text().splitlines() if _step_of(line) is not None and _step_of(line) <= resume_step]
            write_atomic(path, "".join(line + "\n" for line in kept))

    def log(self, step: int, values: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, "time": time.time(), **values}) + "\n")

    def close(self) -> None:
        pass


def _step_of(line: str) -> int | None:
    """The step of a metrics.jsonl line, or None for a line that is not a whole row."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row.get("step") if isinstance(row, dict) and isinstance(row.get("step"), int) else None


class TensorBoardLogger:
    """Scalars into TensorBoard event files under `folder` (torch.utils.tensorboard)."""

    def __init__(self, folder: Path, resume_step: int | None = None):
        """resume_step: a resumed run's step; events logged after it by the interrupted run are dropped."""
        tensorboard = require("torch.utils.tensorboard", "tensorboard", "--logger tensorboard")
        purge = None if resume_step is None else resume_step + 1  # steps from here on are redone
        self.writer = tensorboard.SummaryWriter(log_dir=str(folder), purge_step=purge)

    def log(self, step: int, values: dict[str, Any]) -> None:
        for key, value in flatten(values).items():
            self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        self.writer.close()


class WandbLogger:
    """Scalars into a Weights & Biases run whose files live under `folder`/wandb.

    The run's id is kept in `folder`/wandb-run-id so that a resumed training run continues the
    same W&B run. WANDB_MODE=offline writes the run locally (`wandb sync` uploads it later).
    """

    def __init__(self, folder: Path, project: str, config: dict[str, Any]):
        wandb = require("wandb", "wandb", "--logger wandb")
        id_file = folder / WANDB_ID_FILE
        run_id = id_file.read_text().strip() if id_file.exists() else None
        self.run = wandb.init(project=project, dir=str(folder), config=config, id=run_id, name=folder.name, resume="allow")
        id_file.write_text(self.run.id + "\n")

    def log(self, step: int, values: dict[str, Any]) -> None:
        self.run.log(flatten(values), step=step)

    def close(self) -> None:
        self.run.finish()


def check_loggers(names: Sequence[LoggerName]) -> None:
    """Fail early (on every rank, before any work) when a logger is unknown or its extra is missing."""
    unknown = sorted(set(names) - {"jsonl", "tensorboard", "wandb"})
    if unknown:
        raise ValueError(f"unknown --logger {', '.join(unknown)}; known: jsonl, tensorboard, wandb")
    if "tensorboard" in names:
        require("torch.utils.tensorboard", "tensorboard", "--logger tensorboard")
    if "wandb" in names:
        require("wandb", "wandb", "--logger wandb")


def make_loggers(
    names: Sequence[LoggerName], folder: Path, resume_step: int | None, config: dict[str, Any], wandb_project: str
) -> list[Logger]:
    """The loggers a run asked for, always with `folder`/metrics.jsonl first. resume_step: the
    step a resumed run continues from (None: a fresh run); no logger keeps rows after it.

    Raises MissingExtra (with the pip line) when TensorBoard or W&B is asked for but not installed,
    ValueError for an unknown name.
    """
    check_loggers(names)
    loggers: list[Logger] = [JsonlLogger(folder / METRICS_FILE, resume_step)]
    if "tensorboard" in names:
        loggers.append(TensorBoardLogger(folder / TENSORBOARD_DIR, resume_step))
    if "wandb" in names:
        loggers.append(WandbLogger(folder, wandb_project, config))
    return loggers


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested dicts of scalars -> one level, keys joined with '/': {"task_loss": {"Pong": 1.0}} ->
    {"task_loss/Pong": 1.0}; values that are not numbers are left out."""
    flat: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[f"{prefix}{key}"] = float(value)
    return flat
