"""Dataset labels are checked against the dataset's action space when gato-train loads the data:
a label outside it is one line naming the dataset, the episode, the step and the space (exit 2)."""

import json
import shutil

import numpy as np
import pytest
from gymnasium import spaces

from gato_agent import GatoConfig
from gato_agent.space_checks import check_actions, describe_space, describe_tasks, list_names
from rollouts.train import main as train_main

MICRO = GatoConfig(num_layers=1, embed_dim=32, num_heads=4, ff_dim=64, context_length=64, text_vocab_size=1024,
                   image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64)


def set_action_space(dataset, tmp_path, space: dict):
    """A copy of `dataset` whose metadata.json declares another action space."""
    copy = tmp_path / "relabelled"
    shutil.copytree(dataset / "data", copy)
    meta = json.loads((copy / "metadata.json").read_text())
    meta["action_space"] = json.dumps(space)
    (copy / "metadata.json").write_text(json.dumps(meta))
    return copy


def train(dataset, tmp_path, capsys):
    config = tmp_path / "micro.json"
    config.write_text(json.dumps(MICRO.to_dict()))
    code = train_main(["--dataset", str(dataset), "--out", str(tmp_path / "run"), "--config", str(config), "--steps", "2",
                       "--batch-size", "2", "--threads", "1", "--no-progress"])
    return code, capsys.readouterr().err.strip()


@pytest.mark.parametrize("space,phrase", [
    ({"type": "Discrete", "dtype": "int64", "start": 0, "n": 1}, "step 0: the action 1 is outside the dataset's action space Discrete(1)"),
    ({"type": "Box", "dtype": "float32", "low": [-1.0, -1.0], "high": [1.0, 1.0], "shape": [2]}, "the actions have shape (8,), but 8 steps of the action space Box(-1.0, 1.0, (2,), float32)"),
])
def test_labels_outside_the_datasets_action_space_are_refused(space, phrase, make_dataset, tmp_path, capsys):
    dataset = make_dataset("CartPole-v1", lambda obs: 1, episodes=2, max_steps=15)
    code, err = train(set_action_space(dataset, tmp_path, space), tmp_path, capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "relabelled (CartPole-v1), episode 0" in err and phrase in err, err
    assert not (tmp_path / "run" / "latest").exists()


def test_a_nan_box_label_is_refused_naming_its_step(make_dataset, tmp_path, capsys):
    count = iter(range(1000))
    policy = lambda obs: np.array([np.nan if next(count) == 3 else 0.5], np.float32)
    dataset = make_dataset("Pendulum-v1", policy, episodes=1, max_steps=8, executed=lambda obs: np.zeros(1, np.float32))
    code, err = train(dataset, tmp_path, capsys)
    assert code == 2 and "episode 0, step 3: the action [nan] is outside" in err and "Box(-2.0, 2.0, (1,), float32)" in err, err


@pytest.mark.parametrize("actions,space,ok", [
    ([0, 1, 2], spaces.Discrete(3), True), ([0, 3], spaces.Discrete(3), False), ([5, 6], spaces.Discrete(2, start=5), True),
    ([0.0, 1.0], spaces.Discrete(2), True), ([0.5], spaces.Discrete(2), False),
    ([[0, 2]], spaces.MultiDiscrete([2, 3]), True), ([[2, 0]], spaces.MultiDiscrete([2, 3]), False),
    ([[1e9]], spaces.Box(-1, 1, (1,)), False), ([[-np.inf]], spaces.Box(-1, 1, (1,)), False), ([[1.0]], spaces.Box(-1, 1, (1,)), True),
])
def test_check_actions(actions, space, ok):
    if ok:
        check_actions(actions, space, len(actions), "here")
    else:
        with pytest.raises(ValueError, match="here, step"):
            check_actions(actions, space, len(actions), "here")


def test_a_long_space_is_described_in_a_short_line():
    grid = spaces.Dict({"image": spaces.Box(np.zeros((7, 7, 3), np.float32), np.arange(147).reshape(7, 7, 3) + 1.0, dtype=np.float32), "direction": spaces.Discrete(4)})
    text = describe_space(grid)
    assert len(text) < 200 and "Box(low 0..0, high 1..147, (7, 7, 3), float32)" in text and "Discrete(4)" in text


def test_many_task_ids_are_listed_in_a_short_line_and_grouped_by_their_spaces():
    names = [f"Meta-World/task{i}-v3" for i in range(50)]
    assert list_names(names[:3]) == "Meta-World/task0-v3, Meta-World/task1-v3, Meta-World/task2-v3"
    listed = list_names(names, "all in config.json")
    assert listed.endswith("Meta-World/task7-v3 and 42 more (all in config.json)") and "task8-" not in listed
    arm, pendulum = (spaces.Box(-1, 1, (39,)), spaces.Box(-1, 1, (4,))), (spaces.Box(-1, 1, (4,)), spaces.Box(-3, 3, (1,)))
    text = describe_tasks({**dict.fromkeys(names, arm), "InvertedPendulum-v5": pendulum})
    assert text.count(" -> ") == 2 and text.count("Meta-World/") == 8 and "and 42 more" in text
    assert text.endswith(f"{describe_space(pendulum[0])} -> {describe_space(pendulum[1])}: InvertedPendulum-v5")
