"""Is checkpoint B better than A? rliable's probability of improvement between two gato-eval runs.

    python -m rollouts.compare A/results.json B/results.json [--resamples 2000] [--seed 0]

For each task both runs finished, ``P(B > A)`` is the probability that an episode of B scores more
than an episode of A (ties count half: the Mann-Whitney U statistic over all pairs of episodes,
Agarwal et al. 2021); a family's probability of improvement is the mean over its tasks, with a 95%
percentile interval from a stratified bootstrap that resamples each run's episodes within each task,
independently for A and B. The comparison uses raw returns, which per task gives the same answer
as any normalized score. 0.5 is no difference; an interval above 0.5 says B improves on A.

Prints a markdown table, one row per family and one for all tasks; exit 2 when a file cannot be
read or the runs share no finished task.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Improvement", "probability_of_improvement", "compare_runs", "main"]


@dataclass
class Improvement:
    """P(B > A) over a group of tasks, with its 95% stratified-bootstrap interval."""

    group: str  # a family name, or "all"
    tasks: list[str]  # the tasks compared
    probability: float  # mean over tasks of P(B_task > A_task)
    ci95: tuple[float, float]  # percentile interval


def _task_probability(a: np.ndarray, b: np.ndarray) -> float:
    """P(b > a) + P(b == a) / 2 over all pairs of one task's episodes."""
    return float(np.mean((b[:, None] > a[None, :]) + 0.5 * (b[:, None] == a[None, :])))


def probability_of_improvement(a: list[np.ndarray], b: list[np.ndarray], resamples: int = 2000, seed: int = 0,
                               confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Mean over tasks of P(B > A) and its interval; ``a[m]``, ``b[m]`` are task m's episode scores."""
    if not a or len(a) != len(b):
        raise ValueError("need the same non-empty list of tasks for both runs")
    point = float(np.mean([_task_probability(x, y) for x, y in zip(a, b)]))
    rng = np.random.RandomState(seed)
    values = np.empty(resamples)
    for r in range(resamples):
        values[r] = np.mean([_task_probability(x[rng.randint(0, len(x), len(x))], y[rng.randint(0, len(y), len(y))])
                             for x, y in zip(a, b)])
    alpha = 100 * (1.0 - confidence) / 2
    lo, hi = np.percentile(values, [alpha, 100 - alpha])
    return point, (float(lo), float(hi))


def _finished(run: dict[str, Any]) -> dict[str, tuple[str, np.ndarray]]:
    return {t["env_id"]: (t.get("family") or "custom", np.asarray(t["returns"], dtype=np.float64))
            for t in run.get("tasks", []) if t.get("status") == "ok" and t.get("returns")}


def compare_runs(run_a: dict[str, Any], run_b: dict[str, Any], resamples: int = 2000, seed: int = 0) -> list[Improvement]:
    """P(B > A) per family of the tasks both results.json contents finished, then over all of them."""
    a, b = _finished(run_a), _finished(run_b)
    common = [task for task in a if task in b]
    if not common:
        raise ValueError(f"the runs share no finished task (A: {', '.join(a) or 'none'}; B: {', '.join(b) or 'none'})")
    groups: dict[str, list[str]] = {}
    for task in common:
        groups.setdefault(a[task][0], []).append(task)
    if len(groups) > 1:
        groups["all"] = common
    return [Improvement(name, tasks, *probability_of_improvement([a[t][1] for t in tasks], [b[t][1] for t in tasks],
                                                                 resamples, seed))
            for name, tasks in groups.items()]


def markdown(rows: list[Improvement], name_a: str, name_b: str) -> str:
    """The comparison as a markdown table."""
    lines = [f"P(B > A), A = {name_a}, B = {name_b} (rliable's probability of improvement; 95% CI, stratified bootstrap)",
             "", "| family | tasks | P(B > A) | 95% CI |", "|---|---|---|---|"]
    lines += [f"| {r.group} | {len(r.tasks)} | {r.probability:.3f} | [{r.ci95[0]:.3f}, {r.ci95[1]:.3f}] |" for r in rows]
    return "\n".join(lines) + "\n"


def _read(path: Path) -> dict[str, Any]:
    path = path / "results.json" if path.is_dir() else path
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> int:
    """``python -m rollouts.compare A B``: print P(B > A) per family; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m rollouts.compare", description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path, help="results.json of run A (or its folder)")
    parser.add_argument("b", type=Path, help="results.json of run B (or its folder)")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    args = parser.parse_args(argv)
    if args.resamples < 1:
        print(f"error: --resamples must be >= 1, got {args.resamples}", file=sys.stderr)
        return 2
    try:
        runs = [_read(p) for p in (args.a, args.b)]
    except (OSError, ValueError) as e:
        print(f"error: cannot read a gato-eval results.json: {e}", file=sys.stderr)
        return 2
    try:
        rows = compare_runs(*runs, resamples=args.resamples, seed=args.seed)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(markdown(rows, str(args.a), str(args.b)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
