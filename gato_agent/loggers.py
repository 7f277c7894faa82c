"""Where training metrics go: metrics.jsonl always, TensorBoard and Weights & Biases on request.

A row is a dict of scalars and of dicts of scalars (`task_loss: {task: value}`). metrics.jsonl
keeps it as it is, one JSON object a line with the step and the wall time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Logger", "JsonlLogger", "flatten"]


class Logger(Protocol):
    """A destination for rows of metrics."""

    def log(self, step: int, values: dict[str, Any]) -> None:
        """Record one row of scalars (and dicts of scalars) at optimizer step `step`."""

    def close(self) -> None:
        """Flush and release what the logger holds."""


class JsonlLogger:
    """Appends each row to a JSON-lines file (`{"step": ..., "time": ..., **values}`)."""

    def __init__(self, path: Path):
        self.path = path

    def log(self, step: int, values: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, "time": time.time(), **values}) + "\n")

    def close(self) -> None:
        pass


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
