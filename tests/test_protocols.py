"""results.json's protocol per task family: what was played, and what overrode it."""

from __future__ import annotations

import envs
from envs.atari import PROTOCOL_KWARGS
from rollouts.protocols import ATARI_PROTOCOL, protocols


def test_each_family_in_the_run_is_named_once_with_its_references():
    found = protocols(["ALE/Pong-v5", "ALE/Breakout-v5", "Hopper-v5", "CartPole-v1"])
    assert list(found) == ["atari", "mujoco"]  # CartPole's family has no written-down protocol
    assert found["atari"]["name"] == ATARI_PROTOCOL and found["atari"]["settings"] == PROTOCOL_KWARGS
    assert "noop30" in found["atari"]["references"] and "overridden" not in found["atari"]


def test_kwargs_that_change_a_protocol_setting_are_recorded_beside_it():
    key = next(iter(PROTOCOL_KWARGS))
    found = protocols(["ALE/Pong-v5"], {key: "changed", "unrelated": 1})
    assert found["atari"]["overridden"] == {key: "changed"}
    assert envs.task_family("ALE/Pong-v5") == "atari"
