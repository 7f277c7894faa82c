"""What ``gato-eval`` writes into its output folder: results.json, summary.md and scores.png."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: files only, never a window
import matplotlib.pyplot as plt  # noqa: E402

from rollouts.evaluate import EvalResults, TaskResult  # noqa: E402

__all__ = ["RESULTS_FILE", "SUMMARY_FILE", "PLOT_FILE", "write_report", "summary_markdown", "plot_scores",
           "demonstrator_table"]

RESULTS_FILE = "results.json"
SUMMARY_FILE = "summary.md"
PLOT_FILE = "scores.png"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _ci(interval: tuple[float, float] | None) -> str:
    return "-" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def _success(task: TaskResult) -> str:
    """ " (success 85%)" beside the mean return of a task that reports a success rate."""
    return "" if task.success_rate is None else f" (success {task.success_rate:.0%})"


def summary_markdown(results: EvalResults, meta: dict[str, Any] | None = None) -> str:
    """A short markdown report: one table row per task, the aggregate, then any errors."""
    meta = meta or {}
    lines = ["# gato-eval results", ""]
    if meta.get("policy"):
        lines.append(f"Policy: `{meta['policy']}`" + (f", checkpoint `{meta['checkpoint']}`" if meta.get("checkpoint") else ""))
    cap = (
        f", capped at {results.max_episode_steps} steps each (normalized scores of capped episodes"
        " are not comparable with the reference scores)"
        if results.max_episode_steps
        else ""
    )
    lines += [
        f"{results.episodes} episodes per task{cap}, {results.num_envs} envs, seed {results.seed}"
        f" (episode k reset with seed {results.seed} + k).",
        "",
        "| task | status | episodes | mean return | std | median | normalized | human-normalized | steps/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in results.tasks:
        lines.append(
            f"| {t.env_id} | {t.status} | {len(t.returns)}/{t.episodes_requested} | {_fmt(t.mean)}{_success(t)} | "
            f"{_fmt(t.std)} | {_fmt(t.median)} | {_fmt(t.normalized, 3)} | "
            f"{_fmt(t.human_normalized, 3)} | {_fmt(t.steps_per_second, 0)} |"
        )
    agg = results.aggregate
    lines.append("")
    if agg.tasks:
        lines += [
            f"Normalized score over {len(agg.tasks)} tasks: mean {_fmt(agg.mean, 3)} "
            f"(95% CI {_ci(agg.mean_ci95)}), IQM {_fmt(agg.iqm, 3)} (95% CI {_ci(agg.iqm_ci95)}); "
            f"stratified bootstrap, {agg.bootstrap_resamples} resamples.",
        ]
    else:
        lines.append("No task with a reference score finished: no aggregate.")
    if results.interrupted:
        lines += ["", "**Interrupted** (Ctrl-C): the results above are partial."]
    errors = [t for t in results.tasks if t.error]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {t.env_id}: `{t.error}`" for t in errors]
    no_video = [t for t in results.tasks if t.video_error]
    if no_video:
        lines += ["", "## Videos not recorded", ""]
        lines += [f"- {t.env_id}: `{t.video_error}`" for t in no_video]
    return "\n".join(lines) + "\n"


def plot_scores(results: EvalResults, path: str | Path) -> Path:
    """Bar chart of each task's normalized score (random = 0, expert = 1) written to ``path``."""
    tasks = [t for t in results.tasks if t.normalized is not None]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(tasks) + 2.0), 4.0), layout="constrained")
    if tasks:
        names = [t.env_id.removeprefix("ALE/") for t in tasks]
        ax.bar(names, [t.normalized for t in tasks], color="tab:blue")
        ax.axhline(1.0, color="tab:green", linestyle="--", linewidth=1, label="expert")
        ax.axhline(0.0, color="gray", linewidth=1, label="random")
        ax.set_ylabel("normalized score")
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(loc="best", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no task with a reference score finished", ha="center", va="center")
        ax.set_axis_off()
    agg = results.aggregate
    title = "gato-eval" if agg.iqm is None else f"gato-eval: IQM {agg.iqm:.3f}, mean {agg.mean:.3f}"
    ax.set_title(title)
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(results: EvalResults, out: str | Path, meta: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write results.json (``meta`` plus the results' plain data), summary.md and scores.png.

    results.json is written to a temporary name and renamed, so it is never half-written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = {**(meta or {}), **results.to_dict()}
    tmp = out / (RESULTS_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=True) + "\n")
    os.replace(tmp, out / RESULTS_FILE)
    (out / SUMMARY_FILE).write_text(summary_markdown(results, meta))
    return {
        "results": out / RESULTS_FILE,
        "summary": out / SUMMARY_FILE,
        "plot": plot_scores(results, out / PLOT_FILE),
    }


def demonstrator_table(results: list[dict[str, Any]]) -> str:
    """Markdown table of gato-eval results.json contents against each task's demonstrator.

    Per task: raw mean ± std, demonstrator-normalized (score - random) / (demonstrator - random),
    reference-expert-normalized, and whether it reaches the 0.5 bar of Gato's paper [4.1].
    """
    from envs.demonstrators import DEMONSTRATOR_SCORES
    from envs.scores import reference_for

    lines = ["| task | episodes | mean ± std | demonstrator | random | expert (ref.) | "
             "demonstrator-normalized | expert-normalized | >= 0.5 of demonstrator |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in results:
        for task in run["tasks"]:
            ref, demo = reference_for(task["env_id"]), DEMONSTRATOR_SCORES.get(task["env_id"])
            if task["mean"] is None or ref is None or demo is None:
                lines.append(f"| {task['env_id']} | {len(task['returns'])} | {task['status']}: "
                             f"{task['error'] or 'no reference scores'} | | | | | | |")
                continue
            by_demo = (task["mean"] - ref.random) / (demo - ref.random)
            lines.append(
                f"| {task['env_id']} | {len(task['returns'])} | {task['mean']:.1f} ± {task['std']:.1f} | "
                f"{demo:.1f} | {ref.random:.1f} | {ref.expert:.1f} | {by_demo:.3f} | "
                f"{task['normalized']:.3f} | {'yes' if by_demo >= 0.5 else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m rollouts.report RESULTS.json...``: print the demonstrator table of eval runs."""
    import sys

    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m rollouts.report RESULTS.json [RESULTS.json...]", file=sys.stderr)
        return 2
    print(demonstrator_table([json.loads(Path(p).read_text()) for p in paths]), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
