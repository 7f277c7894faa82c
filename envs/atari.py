"""Atari through ale-py, under one written-down evaluation protocol.

The protocol is Machado et al. (2018) as ale-py's ``-v5`` ids implement it, which is also what the
reference scores in :mod:`envs.scores` assume:

- frameskip 4: each agent action is repeated for 4 emulator frames and the rewards summed;
- sticky actions: with probability 0.25 the emulator repeats the previous action instead of the
  agent's (the only source of stochasticity, seeded through ``reset(seed=...)``);
- the minimal action set of the game (e.g. 4 actions for Breakout), not all 18;
- the full game: an episode ends at game over, never on the loss of a life;
- at most 108,000 emulator frames (30 minutes of play at 60 Hz, i.e. 27,000 agent steps), after
  which the episode is truncated;
- observations are the raw 210x160x3 RGB screens: no grayscale, resizing, frame stacking or
  reward clipping here. The agent resizes the frames itself (Gato patches any image size).

Nothing in this module changes rewards, so the returns recorded by the
``RecordEpisodeStatistics`` wrapper that :func:`envs.registry.make` puts on top are true game
scores.
"""

from __future__ import annotations

from typing import Any

import ale_py
import gymnasium as gym

__all__ = [
    "FRAMESKIP",
    "REPEAT_ACTION_PROBABILITY",
    "FULL_ACTION_SPACE",
    "MAX_NUM_FRAMES_PER_EPISODE",
    "OBS_TYPE",
    "PROTOCOL_KWARGS",
    "is_atari_id",
    "atari_ids",
    "make_atari",
]

gym.register_envs(ale_py)

FRAMESKIP = 4  # emulator frames per agent step (v5 default)
REPEAT_ACTION_PROBABILITY = 0.25  # sticky actions (v5 default)
FULL_ACTION_SPACE = False  # minimal action set of each game (v5 default)
MAX_NUM_FRAMES_PER_EPISODE = 108_000  # emulator frames; 27,000 agent steps at frameskip 4
OBS_TYPE = "rgb"  # raw 210x160x3 uint8 screens

# The keyword arguments every Atari task is built with; recorded in results.json as make kwargs.
PROTOCOL_KWARGS: dict[str, Any] = {
    "frameskip": FRAMESKIP,
    "repeat_action_probability": REPEAT_ACTION_PROBABILITY,
    "full_action_space": FULL_ACTION_SPACE,
    "max_num_frames_per_episode": MAX_NUM_FRAMES_PER_EPISODE,
    "obs_type": OBS_TYPE,
}


def is_atari_id(task_id: str) -> bool:
    """True for the ``ALE/<Game>-v5`` ids this module builds (other ALE versions go generic)."""
    return task_id.startswith("ALE/") and task_id.endswith("-v5") and task_id in gym.registry


def atari_ids() -> list[str]:
    """Every registered ``ALE/<Game>-v5`` id, sorted."""
    return sorted(k for k in gym.registry if k.startswith("ALE/") and k.endswith("-v5"))


def make_atari(
    task_id: str,
    render: bool = False,
    max_episode_steps: int | None = None,
    **overrides: Any,
) -> tuple[gym.Env, dict[str, Any]]:
    """Build ``ALE/<Game>-v5`` under the protocol above.

    Args:
        task_id: an ``ALE/<Game>-v5`` id.
        render: build with ``render_mode="rgb_array"`` so ``env.render()`` returns the screen.
        max_episode_steps: optional cap in agent steps (a ``TimeLimit`` truncation), for quick
            looks and tests; the 108k-frame cap always applies too.
        **overrides: ale-py keyword arguments that replace the protocol's (recorded as such).

    Returns:
        The env and the keyword arguments it was built with.
    """
    if not is_atari_id(task_id):
        raise ValueError(f"{task_id!r} is not a registered ALE/<Game>-v5 id")
    kwargs = {**PROTOCOL_KWARGS, **overrides}
    env = gym.make(
        task_id,
        render_mode="rgb_array" if render else None,
        max_episode_steps=max_episode_steps,
        **kwargs,
    )
    return env, kwargs
