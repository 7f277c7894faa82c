"""Reference scores and score normalization.

The table is ``envs/assets/reference_scores.csv``: one row per task with its random, expert and
(Atari) human mean returns, and for each of the three the source it comes from, a key of
:data:`SOURCES`, which names the paper or measurement and the protocol it was played under:

- ``agent57``: the random and human scores of the Atari-57 games in Badia et al. 2020 (Agent57),
  appendix table (the values JAT's ``scores_dict.json`` reproduces; for the 49 games of Mnih et al.
  2015 the random scores are the DQN Nature paper's, the human ones those of Wang et al. 2016);
  protocol ``noop30``: no sticky actions, up to 30 no-op actions at the start of each episode, the
  full game, 108k-frame cap;
- ``jat``: Hugging Face's JAT (Gallouédec et al. 2024), ``jat/eval/rl/scores_dict.json``: the mean
  return of its Sample-Factory experts' episodes (Atari under JAT's protocol ``jat``: no sticky
  actions, up to 30 no-ops and FIRE at reset; MuJoCo on ``-v4`` envs, whose rewards ``-v5`` keeps;
  BabyAI with the bot, minigrid's reward) and of a uniformly random policy;
- ``here``: measured in this project with this project's protocols (the commands are in
  docs/evaluation.md): BabyAI GoToRedBall and GoToLocal (500 episodes each, BabyAI's bot and
  uniformly random actions) and the 50 Meta-World tasks (metaworld's scripted experts and
  uniformly random actions, ``Meta-World/<task>-v3``, 500-step episodes, 3 episodes each, seeds
  0-2: ``gato-eval --suite metaworld --policy random|expert --episodes 3``). JAT's Meta-World table
  was measured on metaworld's ``-v2`` tasks with shorter episodes, so it is not used.

This project plays Atari under protocol ``v5`` (:mod:`envs.atari`: sticky actions 0.25, full game,
no life-loss signal, 108k-frame cap), which none of the Atari references used: results.json names
each score's protocol beside it, so a reader knows what a normalized score compares.

Where the expert does not beat the random policy (JAT's Bowling and Venture; Meta-World's
handle-press as measured here) the row has no expert score and the task gets no expert-normalized
score (its human-normalized score or success rate stands).

Gato [4.1] reports ``normalized = (score - random) / (expert - random)``; for Atari we also report
the classic human-normalized score ``(score - random) / (human - random)``.

Atari rows are keyed by their exact ``ALE/<Game>-v5`` id: other Atari versions play under a
different protocol (other frame caps, other action sets), so their scores are not comparable.
MuJoCo rows carry no version: ``HalfCheetah-v5`` (and the ``-v4`` the experts were measured on)
map onto ``HalfCheetah``. BabyAI and Meta-World rows are exact ids.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ReferenceScore",
    "REFERENCE_SCORES",
    "SOURCES",
    "TABLE",
    "reference_for",
    "normalize",
    "human_normalize",
]

TABLE = Path(__file__).resolve().parent / "assets" / "reference_scores.csv"

# Where a reference score comes from and the protocol it was measured under.
SOURCES: dict[str, dict[str, str]] = {
    "agent57": {
        "source": "Badia et al. 2020 (Agent57), appendix table of random and human scores",
        "protocol": "noop30: no sticky actions, up to 30 no-ops at reset, full game, 108k-frame cap",
    },
    "jat": {
        "source": "JAT (Gallouedec et al. 2024), jat/eval/rl/scores_dict.json",
        "protocol": "JAT's: Atari without sticky actions, up to 30 no-ops and FIRE at reset; MuJoCo -v4; BabyAI minigrid",
    },
    "here": {
        "source": "measured in this project (docs/evaluation.md has the commands)",
        "protocol": "this project's (envs.make): BabyAI minigrid 3.2; Meta-World v3, 500-step episodes",
    },
}


@dataclass(frozen=True)
class ReferenceScore:
    """Mean episode returns of reference policies on one task, with their sources (keys of SOURCES)."""

    random: float  # mean return of a uniformly random policy
    expert: float | None  # mean return of the expert (demonstrator) policy; None where it does not beat random
    human: float | None = None  # mean return of a human tester (Atari only), else None
    random_source: str | None = None  # where `random` comes from
    expert_source: str | None = None  # where `expert` comes from
    human_source: str | None = None  # where `human` comes from

    def to_dict(self) -> dict[str, Any]:
        """The scores with each one's source and protocol, as results.json records them."""
        out: dict[str, Any] = {}
        for name in ("random", "expert", "human"):
            value, key = getattr(self, name), getattr(self, f"{name}_source")
            if value is not None:
                out[name] = {"score": value, "source_key": key, **SOURCES.get(key or "", {})}
        return out


def _number(text: str) -> float | None:
    return float(text) if text else None


def _load(path: Path) -> dict[str, ReferenceScore]:
    table: dict[str, ReferenceScore] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            random, expert = float(row["random"]), _number(row["expert"])
            if expert is not None and expert <= random:  # no expert-normalized score is defined
                expert = None
            table[row["task"]] = ReferenceScore(
                random, expert, _number(row["human"]), row["random_source"] or None,
                row["expert_source"] if expert is not None else None, row["human_source"] or None)
    return table


REFERENCE_SCORES: dict[str, ReferenceScore] = _load(TABLE)

# MuJoCo versions whose rewards match the reference measurements (v4 measured, v5 same rewards).
_MUJOCO_VERSIONS = ("v4", "v5")
_VERSIONED = re.compile(r"^(?P<name>[A-Za-z0-9]+)-(?P<version>v\d+)$")


def reference_for(task_id: str) -> ReferenceScore | None:
    """The reference scores for ``task_id``, or None when the table has no row for it."""
    if task_id in REFERENCE_SCORES:
        return REFERENCE_SCORES[task_id]
    match = _VERSIONED.match(task_id)
    if match and match["version"] in _MUJOCO_VERSIONS:
        return REFERENCE_SCORES.get(match["name"])
    return None


def normalize(task_id: str, score: float) -> float | None:
    """Gato's normalized score ``(score - random) / (expert - random)``; None without an expert reference."""
    ref = reference_for(task_id)
    if ref is None or ref.expert is None:
        return None
    return (float(score) - ref.random) / (ref.expert - ref.random)


def human_normalize(task_id: str, score: float) -> float | None:
    """``(score - random) / (human - random)`` for Atari tasks with a human score, else None."""
    ref = reference_for(task_id)
    if ref is None or ref.human is None:
        return None
    return (float(score) - ref.random) / (ref.human - ref.random)
