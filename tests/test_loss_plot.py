"""gato_agent.loss_plot: loss.png is drawn per task with plain tick labels."""

import json

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from gato_agent.loss_plot import plot_loss


def test_loss_png_per_task_with_title_and_plain_labels(tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "loss": 6.5 / s, "task_loss": {"Hopper-v5": 6.5 / s, "Reacher-v5": 3.0 / s}} for s in range(1, 41)]
    metrics.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    seen = {}
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig: (seen.setdefault("fig", fig), close(fig)))
    plot_loss(metrics, tmp_path / "loss.png")
    ax = seen["fig"].axes[0]
    assert ax.get_title().startswith("gato-train: action loss per task")
    assert [line.get_label() for line in ax.get_lines()] == ["all tasks", "Hopper-v5", "Reacher-v5"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels and not any("10^" in t or "times" in t for t in labels)
    assert mpimg.imread(tmp_path / "loss.png").shape[1] == 900


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
