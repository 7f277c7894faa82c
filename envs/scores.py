"""Reference scores and score normalization.

Expert and random means are the ones published with Hugging Face's JAT (Sample-Factory experts;
MuJoCo measured on v4 envs); Atari human and random scores are the DQN Nature paper's. Gato
[4.1] reports ``normalized = (score - random) / (expert - random)``; for Atari we also report the
classic human-normalized score ``(score - random) / (human - random)``.

BabyAI rows were measured here (no published table uses this minigrid version's rewards,
``1 - 0.9 * steps / max_steps`` on success): random is a uniformly random action each step, expert
is BabyAI's own bot (``envs.demonstrators.babyai``), 500 episodes each, seeds 0-499, with
``python -m envs.demonstrators.score --env <id> --episodes 500 [--action-noise 1.0]`` (noise 1.0
replaces every action by a random one). The bot succeeds in 500 of 500 episodes on both levels,
the random policy in 26% (GoToRedBall) and 28% (GoToLocal).

Atari rows are keyed by their exact ``ALE/<Game>-v5`` id: other Atari versions play under a
different protocol (no sticky actions, other frame caps), so their scores are not comparable.
MuJoCo rows carry no version: ``HalfCheetah-v5`` (and the ``-v4`` the experts were measured on)
map onto ``HalfCheetah``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ReferenceScore",
    "REFERENCE_SCORES",
    "reference_for",
    "normalize",
    "human_normalize",
]


@dataclass(frozen=True)
class ReferenceScore:
    """Mean episode returns of reference policies on one task."""

    random: float  # mean return of a uniformly random policy
    expert: float  # mean return of the expert (demonstrator) policy
    human: float | None = None  # mean return of a human tester (Atari only), else None


REFERENCE_SCORES: dict[str, ReferenceScore] = {
    # Atari: exact v5 ids (sticky actions 0.25, frameskip 4, full game, 108k-frame cap).
    "ALE/Breakout-v5": ReferenceScore(random=1.7, expert=703.0, human=30.5),
    "ALE/Pong-v5": ReferenceScore(random=-20.7, expert=21.0, human=14.6),
    "ALE/SpaceInvaders-v5": ReferenceScore(random=148.0, expert=29425.3, human=1668.7),
    "ALE/Seaquest-v5": ReferenceScore(random=68.4, expert=2597.3, human=42054.7),
    # MuJoCo: version-free names. InvertedPendulum's expert is 475.4 though the env's maximum
    # is 1000 (the published figure; normalized scores above 1 are possible there).
    "InvertedPendulum": ReferenceScore(random=6.1, expert=475.4),
    "InvertedDoublePendulum": ReferenceScore(random=57.5, expert=9338.7),
    "Reacher": ReferenceScore(random=-43.0, expert=-5.7),
    "HalfCheetah": ReferenceScore(random=-285.0, expert=7437.8),
    "Hopper": ReferenceScore(random=18.4, expert=1858.7),
    "Walker2d": ReferenceScore(random=2.7, expert=4631.2),
    "Swimmer": ReferenceScore(random=0.8, expert=92.2),
    "Ant": ReferenceScore(random=-59.9, expert=5846.4),
    "Pusher": ReferenceScore(random=-149.7, expert=-25.2),
    "Humanoid": ReferenceScore(random=122.0, expert=6281.0),
    # BabyAI: exact ids, measured here (see the module doc).
    "BabyAI-GoToRedBall-v0": ReferenceScore(random=0.149, expert=0.927),
    "BabyAI-GoToLocal-v0": ReferenceScore(random=0.169, expert=0.926),
}

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
    """Gato's normalized score ``(score - random) / (expert - random)``; None without a reference."""
    ref = reference_for(task_id)
    if ref is None:
        return None
    return (float(score) - ref.random) / (ref.expert - ref.random)


def human_normalize(task_id: str, score: float) -> float | None:
    """``(score - random) / (human - random)`` for Atari tasks with a human score, else None."""
    ref = reference_for(task_id)
    if ref is None or ref.human is None:
        return None
    return (float(score) - ref.random) / (ref.human - ref.random)
