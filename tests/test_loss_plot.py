"""gato_agent.loss_plot: loss.png is drawn per task with plain tick labels."""

import json

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import pytest

from gato_agent.loss_plot import plot_loss


def _plotted_axes(metrics, png, monkeypatch):
    """plot_loss(metrics, png), and the axes of the figure it drew."""
    seen = {}
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig: (seen.setdefault("fig", fig), close(fig)))
    plot_loss(metrics, png)
    return seen["fig"].axes[0]


def test_loss_png_per_task_with_title_and_plain_labels(tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "loss": 6.5 / s, "task_loss": {"Hopper-v5": 6.5 / s, "Reacher-v5": 3.0 / s}} for s in range(1, 41)]
    metrics.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ax = _plotted_axes(metrics, tmp_path / "loss.png", monkeypatch)
    assert ax.get_title().startswith("gato-train: action loss per task")
    assert [line.get_label() for line in ax.get_lines()] == ["all tasks", "Hopper-v5", "Reacher-v5"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and not any("10^" in t or "times" in t for t in labels)
    assert mpimg.imread(tmp_path / "loss.png").shape[1] == 900


def test_tick_labels_below_a_hundredth_read_their_value(tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.jsonl"
    losses = [8 * 1e-4 ** (s / 60) for s in range(1, 61)]  # from 6.9 down to 0.0008: four decades
    rows = [{"step": s, "loss": v, "task_loss": {"Ant-v5": v}} for s, v in enumerate(losses, 1)]
    metrics.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ax = _plotted_axes(metrics, tmp_path / "loss.png", monkeypatch)
    low, high = ax.get_ylim()
    ticks = [t for t in ax.get_yticklabels() + ax.get_yticklabels(minor=True) if low <= t.get_position()[1] <= high]
    assert any(t.get_position()[1] < 0.005 for t in ticks)
    for tick in ticks:
        assert float(tick.get_text()) == pytest.approx(tick.get_position()[1], rel=1e-6)


def test_fifty_tasks_get_a_wider_figure_whose_legend_fits(tmp_path, recwarn):
    metrics = tmp_path / "metrics.jsonl"
    names = [f"Meta-World/task-{i}-v3" for i in range(50)]
    rows = [{"step": s, "loss": 1.0 / s, "task_loss": {n: (1 + i / 50) / s for i, n in enumerate(names)}} for s in range(1, 21)]
    metrics.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    plot_loss(metrics, tmp_path / "loss.png")
    assert mpimg.imread(tmp_path / "loss.png").shape[1] == 1400  # three legend columns of at most 24
    assert not [w for w in recwarn if "constrained_layout not applied" in str(w.message)]


def test_no_loss_rows_no_png(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(json.dumps({"step": 1, "eval/x": 1.0}) + "\n")
    plot_loss(metrics, tmp_path / "loss.png")
    assert not (tmp_path / "loss.png").exists()
