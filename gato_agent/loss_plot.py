"""loss.png of a training run: the action loss over steps, overall and per task (cross-entropy in nats;
squared error on the [-1, 1] scale for a regression head's continuous actions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gato_agent.atomic import write_atomic

__all__ = ["plot_loss"]

LEGEND_ROWS = 24  # legend entries a column holds at fontsize 7 in the figure's 4.5-inch height


def plot_loss(metrics: Path, png: Path) -> None:
    """Draw the loss curves of a metrics.jsonl into ``png``: all tasks (thin, grey) and each task
    (averaged over runs of about 2% of the rows, as one row holds few of a task's tokens), on a log
    axis labelled with plain numbers. Nothing is written when no row has a loss."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    rows = [json.loads(line) for line in Path(metrics).read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "loss" in r]
    if not rows:
        return
    names = list(dict.fromkeys(name for r in rows for name in r.get("task_loss", {})))
    columns = -(-(len(names) + 1) // LEGEND_ROWS)  # legend columns, so that 50 tasks still fit the height
    fig, ax = plt.subplots(figsize=(9 + 2.5 * max(0, columns - 1), 4.5), layout="constrained")
    ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], color="0.65", lw=0.8, label="all tasks")
    group = max(1, len(rows) // 50)
    for name in names:
        points = [(r["step"], r["task_loss"][name]) for r in rows if name in r.get("task_loss", {})]
        steps, losses = (np.array(v) for v in zip(*points))
        k = min(group, len(points))
        n = len(points) // k * k
        ax.plot(steps[:n].reshape(-1, k).mean(1), losses[:n].reshape(-1, k).mean(1), lw=1.4, label=name)
    ax.set_yscale("log")
    formatter = FuncFormatter(lambda value, _: f"{value:g}")  # 0.003, not ScalarFormatter's "0.00"
    ax.yaxis.set_major_formatter(formatter)
    ax.yaxis.set_minor_locator(LogLocator(subs=(2, 3, 5)))
    ax.yaxis.set_minor_formatter(formatter)
    ax.set_xlabel("training step")
    ax.set_ylabel("action loss (log scale)")
    ax.set_title(f"gato-train: action loss per task ({len(names)} task{'s' if len(names) != 1 else ''})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=columns)
    write_atomic(png, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
