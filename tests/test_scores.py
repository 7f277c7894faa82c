"""Reference scores and normalization, against hand-computed values."""

import math

import pytest

from envs import REFERENCE_SCORES, SUITES, human_normalize, normalize, reference_for
from envs.scores import SOURCES
from envs.mujoco import MUJOCO_TASKS


@pytest.mark.parametrize(
    ("task_id", "score", "expected"),
    [
        ("ALE/Breakout-v5", 1.7, 0.0),  # random
        ("ALE/Breakout-v5", 703.0, 1.0),  # expert
        ("ALE/Breakout-v5", 352.35, 0.5),  # (352.35 - 1.7) / 701.3
        ("ALE/Pong-v5", 0.0, 20.7 / 41.7),
        ("HalfCheetah-v5", 7437.8, 1.0),
        ("HalfCheetah-v5", -285.0, 0.0),
        ("Reacher-v5", -24.35, 0.5),  # negative returns: (-24.35 + 43) / 37.3
        ("InvertedPendulum-v5", 1000.0, (1000.0 - 6.1) / 469.3),  # above 1: the env max is 1000
        ("Hopper-v4", 18.4, 0.0),  # v4, where the experts were measured
    ],
)
def test_normalize_hand_computed(task_id, score, expected):
    assert normalize(task_id, score) == pytest.approx(expected, abs=1e-12)


def test_human_normalized_for_atari_only():
    assert human_normalize("ALE/Breakout-v5", 30.5) == pytest.approx(1.0)
    assert human_normalize("ALE/Pong-v5", 14.6) == pytest.approx(1.0)
    assert human_normalize("ALE/Seaquest-v5", 68.4) == pytest.approx(0.0)
    assert human_normalize("ALE/SpaceInvaders-v5", (148.0 + 1668.7) / 2) == pytest.approx(0.5)
    assert human_normalize("Hopper-v5", 1000.0) is None


def test_versions_map_onto_table_rows():
    assert reference_for("Walker2d-v5") is REFERENCE_SCORES["Walker2d"]
    assert reference_for("Walker2d") is REFERENCE_SCORES["Walker2d"]
    # Atari rows are exact v5 ids: other versions play under another protocol.
    assert reference_for("Breakout-v4") is None
    assert reference_for("ALE/Breakout-v4") is None
    assert reference_for("CartPole-v1") is None
    assert reference_for("HalfCheetah-v3") is None
    assert normalize("CartPole-v1", 500.0) is None


def test_table_covers_the_default_suite_and_mujoco_tasks():
    for task_id in SUITES["default"]:
        assert reference_for(task_id) is not None, task_id
    covered = {name for name in MUJOCO_TASKS if reference_for(f"{name}-v5") is not None}
    assert covered == set(MUJOCO_TASKS)  # HumanoidStandup too, from JAT's table
    for ref in REFERENCE_SCORES.values():
        assert ref.expert is None or (ref.expert > ref.random and math.isfinite(ref.expert))
        assert math.isfinite(ref.random) and ref.random_source in SOURCES


def test_every_suite_task_with_a_reference_names_its_sources():
    """Atari-57: random and human (Agent57) for all 57, JAT's expert where it beats random;
    MuJoCo: random and expert for all 11; each score carries its source and protocol."""
    atari = [reference_for(t) for t in SUITES["atari57"]]
    assert all(r is not None and r.human is not None and r.human_source == "agent57" for r in atari)
    no_expert = [t for t, r in zip(SUITES["atari57"], atari) if r.expert is None]
    assert no_expert == ["ALE/Bowling-v5", "ALE/Venture-v5"]  # JAT's expert does not beat random there
    assert normalize("ALE/Venture-v5", 100.0) is None and human_normalize("ALE/Venture-v5", 1187.5) == 1.0
    assert human_normalize("ALE/MsPacman-v5", 6951.6) == pytest.approx(1.0)  # 307.3 -> 6951.6
    assert all(reference_for(t).expert is not None for t in SUITES["mujoco"])
    pong = reference_for("ALE/Pong-v5").to_dict()
    assert pong["human"]["source_key"] == "agent57" and "noop30" in pong["human"]["protocol"]
    assert pong["expert"]["source_key"] == "jat" and "sticky" in pong["expert"]["protocol"]
