"""Aggregates per task family, as JAT reports them: one rliable block per family present.

Gato's and JAT's tables give each family its own aggregate (JAT: Atari 0.14, MuJoCo 0.85, BabyAI
0.99, Meta-World 0.65 expert-normalized IQM), because one IQM pooled over families says little:
a family of many easy tasks outweighs the rest. :func:`aggregate_by_family` groups the finished
tasks by their family (``atari``, ``mujoco``, ``babyai``, ``metaworld``, ``gymnasium``, ``custom``)
and gives each the aggregates of :mod:`rollouts.aggregates` over its expert-normalized scores,
with Atari's human-normalized scores beside them and the family's mean success rate where its
tasks report success.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rollouts.aggregates import Aggregate, aggregate_scores

__all__ = ["FamilyAggregate", "aggregate_by_family", "family_matrix"]


@dataclass
class FamilyAggregate:
    """One family's aggregates (every field JSON-serializable through dataclasses.asdict)."""

    tasks: list[str]  # the family's finished tasks, in the order evaluated
    normalized: Aggregate  # over the expert-normalized scores of the tasks that have them
    human_normalized: Aggregate | None  # over human-normalized scores (Atari); None for other families
    success_rate: float | None  # mean of the tasks' success rates, where tasks report success
    success_tasks: list[str]  # the tasks that report success


def family_matrix(tasks: Sequence[Any], field: str) -> tuple[list[str], np.ndarray | None]:
    """The finished tasks whose per-episode ``field`` (a list of scores) is set, as a (runs, tasks) matrix."""
    scored = [t for t in tasks if t.status == "ok" and getattr(t, field)]
    if not scored:
        return [], None
    runs = min(len(getattr(t, field)) for t in scored)  # equal when every task ran its episodes
    return [t.env_id for t in scored], np.array([getattr(t, field)[:runs] for t in scored], dtype=np.float64).T


def aggregate_by_family(tasks: Sequence[Any], resamples: int = 2000, seed: int = 0) -> dict[str, FamilyAggregate]:
    """``{family: FamilyAggregate}`` for each family with a finished task, in the order first met.

    ``tasks`` are :class:`~rollouts.evaluate.TaskResult` objects (or anything with their fields).
    """
    families: dict[str, list[Any]] = {}
    for task in tasks:
        if task.status == "ok" and task.returns:
            families.setdefault(task.family or "custom", []).append(task)
    out: dict[str, FamilyAggregate] = {}
    for family, members in families.items():
        human = None
        if family == "atari":
            human = aggregate_scores(*family_matrix(members, "human_normalized_episodes"), resamples, seed)
        with_success = [t for t in members if t.success_rate is not None]
        out[family] = FamilyAggregate(
            tasks=[t.env_id for t in members],
            normalized=aggregate_scores(*family_matrix(members, "normalized_episodes"), resamples, seed),
            human_normalized=human,
            success_rate=float(np.mean([t.success_rate for t in with_success])) if with_success else None,
            success_tasks=[t.env_id for t in with_success],
        )
    return out
