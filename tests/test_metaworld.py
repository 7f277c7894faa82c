"""Meta-World: the 50 tasks build with metaworld's protocol, seeds reproduce, the scripted expert
succeeds through gato-eval (success_rate) and is collectable by gato-collect."""

import json

import numpy as np
import pytest

metaworld = pytest.importorskip("metaworld")

import envs  # noqa: E402
from envs.metaworld import metaworld_ids  # noqa: E402
from rollouts.eval import main as eval_main  # noqa: E402


def test_the_fifty_ids_are_metaworlds_tasks():
    assert sorted(f"{t[len('Meta-World/'):]}" for t in metaworld_ids()) == sorted(metaworld.env_dict.ALL_V3_ENVIRONMENTS)
    assert envs.task_family("Meta-World/pick-place-v3") == "metaworld"
    with pytest.raises(envs.UnknownTaskError):
        envs.task_family("Meta-World/pick-place-v2")


def test_spaces_limit_and_seeded_resets():
    env = envs.make("Meta-World/pick-place-v3")
    assert env.observation_space.shape == (39,) and env.action_space.shape == (4,)
    assert env.action_space.low.min() == -1 and env.action_space.high.max() == 1
    assert env.task_spec.time_limit == 500 and env.task_spec.family == "metaworld"
    first = env.reset(seed=7)[0]
    other = env.reset(seed=8)[0]
    again = env.reset(seed=7)[0]
    np.testing.assert_array_equal(first, again)  # the same goal configuration from the same seed
    assert not np.array_equal(first, other)
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert "success" in info and not terminated


def test_the_scripted_expert_succeeds_in_gato_eval(tmp_path):
    out = tmp_path / "run"
    assert eval_main(["--env", "Meta-World/reach-v3", "--policy", "expert", "--episodes", "2", "--max-episode-steps",
                      "150", "--no-video", "--no-progress", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    task = data["tasks"][0]
    assert task["successes"] == [True, True] and task["success_rate"] == 1.0
    assert task["success_rule"] == "info['success'] at any step"
    assert data["aggregate_by_family"]["metaworld"]["success_rate"] == 1.0
    assert "metaworld" in data["protocols"] and "success 100%" in (out / "summary.md").read_text()


def test_the_scripted_expert_is_collectable(tmp_path):
    from minari import MinariDataset

    from rollouts.collect import main as collect_main

    out = tmp_path / "mw"
    assert collect_main(["--env", "Meta-World/reach-v3", "--out", str(out), "--episodes", "1",
                         "--max-episode-steps", "40", "--no-progress"]) == 0
    dataset = MinariDataset(str(out / "data"))
    episode = next(iter(dataset.iterate_episodes()))
    assert episode.actions.shape == (40, 4) and episode.observations.shape == (41, 39)


def test_every_task_has_measured_references():
    refs = {t: envs.reference_for(t) for t in metaworld_ids()}
    assert all(r is not None and r.random_source == "here" for r in refs.values())
    assert [t for t, r in refs.items() if r.expert is None] == ["Meta-World/handle-press-v3"]  # random beat it
    assert envs.normalize("Meta-World/pick-place-v3", refs["Meta-World/pick-place-v3"].expert) == 1.0
