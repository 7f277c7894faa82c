"""What ``gato-eval`` writes into its output folder: results.json, summary.md and scores.png."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from gato_agent.atomic import write_atomic
from rollouts.aggregates import METRICS
from rollouts.results import EvalResults, TaskResult
from rollouts.plots import plot_scores

__all__ = ["RESULTS_FILE", "SUMMARY_FILE", "PLOT_FILE", "write_report", "summary_markdown", "demonstrator_table", "demonstrator_counts", "by_demonstrator", "decoding", "actions_phrase"]

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


def decoding(run: dict[str, Any]) -> str:
    """How a gato-eval run picked a Gato's actions: "greedy", "T=<temperature>" (sampled), or "-".

    ``run`` is a results.json's contents (or gato-eval's meta); "-" for a policy that is not a
    Gato checkpoint, or a run that did not record its settings.
    """
    temperature = (run.get("args") or {}).get("temperature")
    if run.get("checkpoint") is None or temperature is None:
        return "-"
    return "greedy" if temperature == 0 else f"T={temperature:g}"


def actions_phrase(run: dict[str, Any]) -> str:
    """`decoding` as words: "greedy actions", "actions sampled at temperature T", or "" ("-")."""
    how = decoding(run)
    return {"-": "", "greedy": "greedy actions"}.get(how, f"actions sampled at temperature {how[2:]}")


def summary_markdown(results: EvalResults, meta: dict[str, Any] | None = None) -> str:
    """A short markdown report: one table row per task, the aggregate, then any errors."""
    meta = meta or {}
    lines = ["# gato-eval results", ""]
    if meta.get("policy"):
        how = actions_phrase(meta)
        unprompted = meta.get("checkpoint") and (meta.get("args") or {}).get("prompt") is False
        lines.append(f"Policy: `{meta['policy']}`" + (f", checkpoint `{meta['checkpoint']}`" if meta.get("checkpoint") else "")
                     + (f", {how}" if how else "") + (", without its prompt" if unprompted else ""))
    capped = [t for t in results.tasks if t.capped]
    lines += [
        f"{results.episodes} episode{'s' * (results.episodes != 1)} per task, {results.num_envs} env{'s' * (results.num_envs != 1)}, seed {results.seed}"
        f" (episode k reset with seed {results.seed} + k).",
        "",
        "| task | status | episodes | steps limit | mean return | std | median | normalized | human-normalized | steps/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in results.tasks:
        limit = "-" if t.max_episode_steps is None else f"{t.max_episode_steps}" + (
            f" (capped; own {t.time_limit or 'none'})" if t.capped else "")
        flag = " *" if t.capped and t.normalized is not None else ""
        lines.append(
            f"| {t.env_id} | {t.status} | {len(t.returns)}/{t.episodes_requested} | {limit} | {_fmt(t.mean)}{_success(t)} | "
            f"{_fmt(t.std)} | {_fmt(t.median)} | {_fmt(t.normalized, 3)}{flag} | "
            f"{_fmt(t.human_normalized, 3)} | {_fmt(t.steps_per_second, 0)} |"
        )
    if capped:
        lines += ["", "\\* capped below the task's own time limit: not comparable with the reference scores."]
    agg = results.aggregate
    lines.append("")
    if agg.tasks:
        lines += [
            f"Normalized scores of all {agg.runs} x {len(agg.tasks)} episodes ({', '.join(agg.tasks)}), as rliable "
            f"aggregates them; 95% CIs from a stratified bootstrap of {agg.bootstrap_resamples} resamples (seed "
            f"{agg.bootstrap_seed}):",
            "",
            "| aggregate | value | 95% CI |",
            "|---|---|---|",
        ]
        lines += [f"| {name.replace('_', ' ')} | {_fmt(getattr(agg, name), 3)} | {_ci(getattr(agg, f'{name}_ci95'))} |"
                  for name in METRICS]
    else:
        lines.append("No task with a reference score finished: no aggregate.")
    lines += _family_lines(results) + _success_lines(results) + _protocol_lines(meta)
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


def _value_ci(agg: Any, name: str) -> str:
    value = getattr(agg, name) if agg is not None else None
    return "-" if value is None else f"{value:.3f} {_ci(getattr(agg, f'{name}_ci95'))}"


def _family_lines(results: EvalResults) -> list[str]:
    """One row per task family: its rliable aggregates (expert-normalized; Atari human-normalized too)."""
    families = results.aggregate_by_family
    if not families:
        return []
    lines = ["", "Per task family (expert-normalized unless said; 95% CIs, stratified bootstrap within the family):", "",
             "| family | tasks | IQM | mean | median | optimality gap | human-normalized IQM | success rate |",
             "|---|---|---|---|---|---|---|---|"]
    for name, fam in families.items():
        success = "-" if fam.success_rate is None else f"{fam.success_rate:.0%} ({len(fam.success_tasks)} tasks)"
        lines.append(f"| {name} | {len(fam.tasks)} | {_value_ci(fam.normalized, 'iqm')} | {_value_ci(fam.normalized, 'mean')} | "
                     f"{_value_ci(fam.normalized, 'median')} | {_value_ci(fam.normalized, 'optimality_gap')} | "
                     f"{_value_ci(fam.human_normalized, 'iqm')} | {success} |")
    return lines


def _success_lines(results: EvalResults) -> list[str]:
    """How success was counted, for the tasks that report a success rate."""
    rules: dict[str, list[str]] = {}
    for t in results.tasks:
        if t.success_rule is not None:
            rules.setdefault(t.success_rule, []).append(t.env_id)
    if not rules:
        return []
    return ["", "Success: " + "; ".join(f"{rule} ({len(ids)} task{'s' * (len(ids) != 1)})" for rule, ids in rules.items())
            + ". An episode succeeds when its env reports success at any step of it."]


def _protocol_lines(meta: dict[str, Any]) -> list[str]:
    """The protocol each family was played under and what its reference scores assume."""
    found = meta.get("protocols") or {}
    if not found:
        return []
    lines = ["", "Protocols:", ""]
    lines += [f"- {family}: `{p['name']}`, {p['description']}. References: {p['references']}."
              for family, p in found.items()]
    return lines


def write_report(results: EvalResults, out: str | Path, meta: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write results.json (``meta`` plus the results' plain data), summary.md and scores.png.

    Each file is written atomically, so none is ever half-written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = {**(meta or {}), **results.to_dict()}
    write_atomic(out / RESULTS_FILE, json.dumps(_strict(data), indent=2, allow_nan=False) + "\n")
    write_atomic(out / SUMMARY_FILE, summary_markdown(results, meta))
    return {
        "results": out / RESULTS_FILE,
        "summary": out / SUMMARY_FILE,
        "plot": plot_scores(results, out / PLOT_FILE, actions_phrase(meta or {})),
    }


def _strict(value: Any) -> Any:
    """`value` with every NaN or infinity made None, so that results.json is strict JSON (RFC 8259),
    which every parser reads (Python's json writes bare NaN, which JavaScript's JSON.parse rejects)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def by_demonstrator(task: dict[str, Any]) -> float | None:
    """A results.json task's demonstrator-normalized score, (mean - random) / (demonstrator - random);
    None where it has no mean, no random score, no measured demonstrator score, or a demonstrator
    that does not beat the random policy (Meta-World's handle-press). An expert score is not needed
    (Bowling's reference has none)."""
    from envs.demonstrators import DEMONSTRATOR_SCORES
    from envs.scores import reference_for

    ref, demo = reference_for(task["env_id"]), DEMONSTRATOR_SCORES.get(task["env_id"])
    if task["mean"] is None or ref is None or demo is None or demo <= ref.random:
        return None
    return (task["mean"] - ref.random) / (demo - ref.random)


def demonstrator_counts(results: list[dict[str, Any]]) -> str:
    """The counts under the demonstrator table: tasks, and how many reach 0.5 of their demonstrator
    (Gato's bar [4.1]), in all and per family, with the mean success rate of the families whose
    tasks report success (Meta-World, BabyAI; over the tasks that report one, saying how many where
    some do not). A task listed by several runs (greedy and sampled) is counted once, by its first
    row; a task without a score (not run, or no reference) counts as below the bar."""
    from envs import task_family

    first: dict[str, dict[str, Any]] = {}
    for run in results:
        for task in run["tasks"]:
            first.setdefault(task["env_id"], task)
    families: dict[str, list[dict[str, Any]]] = {}
    for env_id, task in first.items():
        families.setdefault(task_family(env_id), []).append(task)

    def reached(tasks: list[dict[str, Any]]) -> int:
        return sum(1 for t in tasks if (score := by_demonstrator(t)) is not None and score >= 0.5)

    def success(tasks: list[dict[str, Any]]) -> str:
        rates = [t["success_rate"] for t in tasks if t.get("success_rate") is not None]
        if not rates:
            return "-"
        return f"{sum(rates) / len(rates):.0%}" + ("" if len(rates) == len(tasks) else f" ({len(rates)} of {len(tasks)} tasks)")

    total = reached(list(first.values()))
    lines = [f"{len(first)} task{'s' if len(first) != 1 else ''}; {total} at or above 0.5 of their demonstrator "
             f"({total / max(len(first), 1):.0%}).", "",
             "| family | tasks | >= 0.5 of demonstrator | mean success |", "|---|---|---|---|"]
    for family, tasks in families.items():
        lines.append(f"| {family} | {len(tasks)} | {reached(tasks)} | {success(tasks)} |")
    return "\n".join(lines) + "\n"


def demonstrator_table(results: list[dict[str, Any]]) -> str:
    """Markdown table of gato-eval results.json contents against each task's demonstrator.

    Per task: how the actions were picked (greedy, or sampled at temperature T; "-" for a policy
    that is not a Gato checkpoint), raw mean ± std (with the success rate where the task reports
    one: BabyAI), demonstrator-normalized (score - random) / (demonstrator - random), reference-expert-normalized,
    and whether it reaches the 0.5 bar of Gato's paper [4.1].
    """
    from envs.demonstrators import DEMONSTRATOR_SCORES
    from envs.scores import reference_for

    lines = ["| task | actions | episodes | mean ± std | demonstrator | random | expert (ref.) | "
             "demonstrator-normalized | expert-normalized | >= 0.5 of demonstrator |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for run in results:
        how = decoding(run)
        for task in run["tasks"]:
            ref, demo = reference_for(task["env_id"]), DEMONSTRATOR_SCORES.get(task["env_id"])
            by_demo = by_demonstrator(task)
            if by_demo is None:
                why = task["error"] or "no episode finished" if task["mean"] is None else (
                    "no random or demonstrator score" if ref is None or demo is None
                    else f"its demonstrator ({demo:g}) does not beat the random policy ({ref.random:g})")
                lines.append(f"| {task['env_id']} | {how} | {len(task['returns'])} | {task['status']}: {why} | | | | | | |")
                continue
            success = task.get("success_rate")
            digits = 1 if success is None else 3  # BabyAI (the tasks with a success rate): returns in [0, 1]
            mean = f"{task['mean']:.{digits}f} ± {task['std']:.{digits}f}"
            mean += "" if success is None else f" (success {success:.0%})"
            expert = "-" if ref.expert is None else f"{ref.expert:.{digits}f}"
            normalized = "-" if task["normalized"] is None else f"{task['normalized']:.3f}"
            lines.append(
                f"| {task['env_id']} | {how} | {len(task['returns'])} | {mean} | "
                f"{demo:.{digits}f} | {ref.random:.{digits}f} | {expert} | {by_demo:.3f} | "
                f"{normalized} | {'yes' if by_demo >= 0.5 else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m rollouts.report RESULTS.json...``: print the demonstrator table of eval runs."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m rollouts.report", description=demonstrator_table.__doc__.split("\n")[0])
    parser.add_argument("results", nargs="*", help="gato-eval results.json files (or their folders)")
    paths = parser.parse_args(argv).results
    if not paths:
        parser.print_usage(sys.stderr)
        return 2
    runs = []
    for p in map(Path, paths):
        path = p / RESULTS_FILE if p.is_dir() else p
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, ValueError) as e:
            print(f"error: cannot read {path} as a gato-eval {RESULTS_FILE}: {e}", file=sys.stderr)
            return 2
    print(demonstrator_table(runs))
    print(demonstrator_counts(runs), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
