"""The evaluation protocol of each task family in a run, as results.json records it.

A score means something only beside the protocol it was played under: Atari's ``v5`` here (sticky
actions, full game) is not the ``noop30`` protocol of the Agent57 table's human and random scores,
nor JAT's (no sticky actions, no-op and FIRE resets), and its normalized scores say so.
"""

from __future__ import annotations

from typing import Any

import envs
from envs.atari import PROTOCOL_KWARGS
from envs.metaworld import EPISODE_STEPS, TASK_SET_SEED

__all__ = ["ATARI_PROTOCOL", "protocols"]

ATARI_PROTOCOL = "v5"  # the name results.json gives this project's Atari protocol (envs.atari)

_FAMILIES: dict[str, dict[str, Any]] = {
    "atari": {
        "name": ATARI_PROTOCOL,
        "description": "ale-py ALE/<Game>-v5 (Machado et al. 2018): sticky actions 0.25, frameskip 4, minimal "
                       "action set, full game (no end at a lost life), 108,000-frame cap (27,000 steps), raw RGB, "
                       "unclipped rewards",
        "settings": PROTOCOL_KWARGS,
        "references": "random and human: Agent57's table under noop30 (no sticky actions, up to 30 no-ops at "
                      "reset); expert: JAT's Sample-Factory experts under JAT's protocol (no sticky actions, "
                      "no-op and FIRE resets); neither is v5, so normalized scores are indicative",
    },
    "mujoco": {
        "name": "gymnasium-v5",
        "description": "Gymnasium MuJoCo v5 tasks with their default settings and 1000-step limits",
        "references": "JAT's random and expert means, measured on -v4 (same rewards)",
    },
    "metaworld": {
        "name": "metaworld-v3",
        "description": f"metaworld MT1 per task (goal set seed {TASK_SET_SEED}), {EPISODE_STEPS}-step episodes run "
                       "to the end; success: info['success'] at any step",
        "references": "random and scripted-expert means measured in this project under this protocol",
    },
    "babyai": {
        "name": "minigrid",
        "description": "minigrid BabyAI levels with their own step limits; reward 1 - 0.9 * steps / max_steps on "
                       "success; success: return > 0",
        "references": "BabyAI's bot and uniformly random actions (JAT's table; GoToRedBall and GoToLocal measured here)",
    },
}


def protocols(task_ids: list[str], env_kwargs: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """``{family: protocol}`` for the families of ``task_ids`` that have a written-down protocol;
    ``env_kwargs`` that override a protocol's settings are recorded beside them."""
    out: dict[str, dict[str, Any]] = {}
    for task_id in task_ids:
        family = envs.task_family(task_id)
        if family in _FAMILIES and family not in out:
            out[family] = dict(_FAMILIES[family])
            overrides = {k: v for k, v in (env_kwargs or {}).items() if k in out[family].get("settings", {})}
            if overrides:
                out[family]["overridden"] = overrides
    return out
