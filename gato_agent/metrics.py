"""Training metrics on rank 0: per-task sums between log rows, the progress bar, the loss plot.

Each row handed to the loggers holds the step's loss, accuracy, gradient norm, learning rate and
tokens/s and, per task, the loss and greedy accuracy over all of rank 0's action tokens of that
task since the previous row (`task_loss`, `task_accuracy`; a task drawn in none of those batches is
left out). Evaluation rows (`eval/<task>/return`, ...) go to the same loggers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gato_agent.loggers import Logger

__all__ = ["MetricsLog", "read_metrics"]


class MetricsLog:
    """What rank 0 records of a run; on the other ranks every method does nothing."""

    def __init__(self, loggers: list[Logger], names: list[str], main: bool, progress: bool, step: int, steps: int):
        """loggers: where rows go (rank 0 only); names: the tasks, in the batches' task-index order;
        progress: show a tqdm bar from `step` to `steps`."""
        self.loggers = loggers
        self.main = main
        self.names = names
        self.sums = torch.zeros(3, len(names), dtype=torch.float64)  # (loss, correct, tokens) per task
        self.bar = None
        if main and progress:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, initial=step, desc="gato-train", dynamic_ncols=True)

    def tasks(self, task: Tensor, token_loss: Tensor, correct: Tensor) -> None:
        """Add one batch's action tokens: task, token_loss, correct (N,)."""
        if self.main:
            for k, value in enumerate((token_loss, correct, torch.ones_like(token_loss))):
                self.sums[k].index_add_(0, task.cpu(), value.detach().cpu().double())

    def step(self, step: int, values: dict[str, float], every: int) -> None:
        """One optimizer step's scalars (loss, accuracy, grad_norm, lr, tokens_per_s); every
        `every` steps they and the per-task means since the previous row are logged."""
        if not self.main:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{values['loss']:.4f}", tok_s=f"{values['tokens_per_s']:.0f}", refresh=False)
        if step % every == 0:
            loss_sum, correct, count = self.sums
            seen = [i for i in range(len(self.names)) if count[i] > 0]
            self.record(step, {**values,
                               "task_loss": {self.names[i]: (loss_sum[i] / count[i]).item() for i in seen},
                               "task_accuracy": {self.names[i]: (correct[i] / count[i]).item() for i in seen}})
            self.sums.zero_()

    def record(self, step: int, values: dict[str, Any]) -> None:
        """Hand a row of scalars (and dicts of them) to every logger."""
        if self.main:
            for logger in self.loggers:
                logger.log(step, values)

    def close(self) -> None:
        """Close the bar and the loggers."""
        if not self.main:
            return
        if self.bar is not None:
            self.bar.close()
        for logger in self.loggers:
            logger.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The rows of a metrics.jsonl."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
