"""scores.png: every task's score with its 95% CI and every episode as a point, and the aggregates.

Tasks with reference scores share one panel of normalized scores (random = 0, expert = 1); a
task without them gets a panel of its own in raw returns; then rliable's aggregates with their
stratified-bootstrap CIs, and the IQM of each task family (Atari's human-normalized one too). Capped
tasks (episodes cut below the task's own time limit) are marked "(capped)"; a task's success rate,
where its env reports one, is written under its name.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gato_agent.atomic import write_atomic  # noqa: E402
from rollouts.aggregates import METRICS, mean, stratified_bootstrap_ci  # noqa: E402
from rollouts.results import EvalResults, TaskResult  # noqa: E402

__all__ = ["plot_scores", "scores_figure"]

_POINTS = dict(s=14, color="tab:blue", alpha=0.45, linewidths=0, zorder=2)
_MEAN = dict(fmt="D", color="black", markersize=5, capsize=4, linewidth=1.4, zorder=3)


def _label(task: TaskResult) -> str:
    success = "" if task.success_rate is None else f"\nsuccess {task.success_rate:.0%}"
    return task.env_id.removeprefix("ALE/").removeprefix("Meta-World/") + success + ("\n(capped)" if task.capped else "")


def _family_rows(results: EvalResults) -> list[tuple[str, float, tuple[float, float]]]:
    """(label, IQM, CI) of each family with an aggregate, Atari's human-normalized IQM after its own."""
    rows = []
    for name, fam in results.aggregate_by_family.items():
        for label, agg in ((name, fam.normalized), (f"{name} (human)", fam.human_normalized)):
            if agg is not None and agg.iqm is not None:
                n = len(agg.tasks)
                rows.append((f"{label}\n{n} task{'s' if n != 1 else ''}", agg.iqm, agg.iqm_ci95))
    return rows


def _draw_families(ax: plt.Axes, rows: list[tuple[str, float, tuple[float, float]]]) -> None:
    for y, (label, value, (lo, hi)) in enumerate(rows):
        ax.barh(y, hi - lo, left=lo, height=0.5, color="tab:orange", alpha=0.35)
        ax.plot([value, value], [y - 0.25, y + 0.25], color="black", linewidth=2)
        ax.annotate(f"{value:.3f}", (hi, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("normalized score")
    ax.set_title("IQM per task family\n(95% CI, stratified bootstrap)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.axvline(0.0, color="gray", linewidth=1)  # random
    left = min([0.0] + [min(lo, v) for _, v, (lo, _) in rows])  # random (0) always in view
    right = max([0.0] + [max(hi, v) for _, v, (_, hi) in rows])
    span = (right - left) or 1.0
    ax.set_xlim(left - 0.05 * span, right + 0.3 * span)  # room for the value labels


def _draw_tasks(ax: plt.Axes, tasks: list[TaskResult], scores: list[list[float]], seed: int) -> None:
    """Episode points (jittered) and the mean with its bootstrap 95% CI, one column per task."""
    rng = np.random.default_rng(seed)
    for x, values in enumerate(scores):
        values = np.asarray(values, dtype=np.float64)
        ax.scatter(x + rng.uniform(-0.18, 0.18, len(values)), values, **_POINTS)
        lo, hi = stratified_bootstrap_ci(values[:, None], mean, resamples=1000, seed=seed)
        m = values.mean()
        ax.errorbar([x], [m], yerr=[[m - lo], [hi - m]], **_MEAN)
    ax.set_xticks(range(len(tasks)), [_label(t) for t in tasks], rotation=30, ha="right", fontsize=8)
    ax.set_xlim(-0.6, len(tasks) - 0.4)
    ax.grid(axis="y", alpha=0.3)


def _draw_aggregates(ax: plt.Axes, results: EvalResults) -> None:
    agg = results.aggregate
    names = list(METRICS)
    for y, name in enumerate(names):
        value, (lo, hi) = getattr(agg, name), getattr(agg, f"{name}_ci95")
        ax.barh(y, hi - lo, left=lo, height=0.5, color="tab:blue", alpha=0.35)
        ax.plot([value, value], [y - 0.25, y + 0.25], color="black", linewidth=2)
        ax.annotate(f"{value:.3f}", (hi, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("normalized score")
    ax.set_title(f"aggregates, {agg.runs} x {len(agg.tasks)} episodes\n(95% CI, stratified bootstrap)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.25)


def plot_scores(results: EvalResults, path: str | Path, actions: str = "") -> Path:
    """Draw ``results`` into the PNG ``path`` (written atomically) and return the path.

    ``actions`` says how the actions were picked ("greedy actions", "actions sampled at
    temperature 1"); it joins the title, so that two plots of one suite can be told apart.
    """
    fig = scores_figure(results, actions)
    path = write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return path


def scores_figure(results: EvalResults, actions: str = "") -> plt.Figure:
    """The figure `plot_scores` writes: per-task episodes and the aggregates, titled with the settings."""
    done = [t for t in results.tasks if t.returns]
    normalized = [t for t in done if t.normalized_episodes]
    raw = [t for t in done if not t.normalized_episodes]
    has_agg = results.aggregate.iqm is not None
    families = _family_rows(results)
    widths = ([max(2.5, 0.9 * len(normalized) + 1.0)] if normalized else []) + [1.6] * len(raw) + (
        [3.2] if has_agg else []) + ([3.2] if families else [])
    if not widths:
        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        ax.text(0.5, 0.5, "no episode finished", ha="center", va="center")
        ax.set_axis_off()
    else:
        fig, axes = plt.subplots(1, len(widths), figsize=(max(5.5, sum(widths) + 1.0), 4.2), layout="constrained",
                                 width_ratios=widths, squeeze=False)
        axes = list(axes[0])
        if normalized:
            ax = axes.pop(0)
            _draw_tasks(ax, normalized, [t.normalized_episodes for t in normalized], results.seed)
            ax.axhline(1.0, color="tab:green", linestyle="--", linewidth=1, label="expert = 1")
            ax.axhline(0.0, color="gray", linewidth=1, label="random = 0")
            ax.set_ylabel("normalized score")
            ax.set_title("per task: episodes, mean and 95% CI", fontsize=9)
            ax.legend(loc="best", fontsize=7)
        for task in raw:
            ax = axes.pop(0)
            _draw_tasks(ax, [task], [task.returns], results.seed)
            ax.set_ylabel("return")
            ax.set_title("raw return\n(no reference score)", fontsize=9)
        if has_agg:
            _draw_aggregates(axes.pop(0), results)
        if families:
            _draw_families(axes.pop(0), families)
    title = f"gato-eval: {results.episodes} episode{'s' * (results.episodes != 1)} per task, seed {results.seed}"
    fig.suptitle(title + (f", {actions}" if actions else ""), fontsize=11)
    return fig
