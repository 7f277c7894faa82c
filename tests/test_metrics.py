"""MetricsLog: per-task means between rows, rank 0 only; the loss plot."""

import json

import pytest
import torch

from gato_agent.loggers import JsonlLogger
from gato_agent.metrics import MetricsLog, read_metrics

STEP = {"loss": 1.0, "accuracy": 0.5, "grad_norm": 2.0, "lr": 1e-3, "tokens_per_s": 100.0}


def test_rows_hold_per_task_means_since_the_previous_row(tmp_path):
    log = MetricsLog([JsonlLogger(tmp_path / "metrics.jsonl")], ["a", "b"], main=True, progress=False, step=0, steps=4)
    log.tasks(torch.tensor([0, 0, 1]), torch.tensor([1.0, 3.0, 5.0]), torch.tensor([True, False, True]))
    log.step(1, STEP, every=2)
    log.tasks(torch.tensor([0]), torch.tensor([5.0]), torch.tensor([True]))
    log.step(2, STEP, every=2)
    log.tasks(torch.tensor([1]), torch.tensor([0.5]), torch.tensor([False]))
    log.step(4, STEP, every=2)
    log.record(4, {"eval/a/return": 7.0})
    log.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [2, 4, 4]
    assert rows[0]["task_loss"] == {"a": 3.0, "b": 5.0} and rows[0]["task_accuracy"] == {"a": pytest.approx(2 / 3), "b": 1.0}
    assert rows[1]["task_loss"] == {"b": 0.5} and rows[1]["loss"] == 1.0  # a task not drawn is left out
    assert rows[2]["eval/a/return"] == 7.0


def test_other_ranks_write_nothing(tmp_path):
    log = MetricsLog([JsonlLogger(tmp_path / "metrics.jsonl")], ["a"], main=False, progress=False, step=0, steps=1)
    log.tasks(torch.tensor([0]), torch.tensor([1.0]), torch.tensor([True]))
    log.step(1, STEP, every=1)
    log.close()
    assert list(tmp_path.iterdir()) == []
