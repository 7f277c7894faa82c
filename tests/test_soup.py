"""Model soups: the averaged checkpoint loads, holds the weighted mean, and mismatches are refused."""

import dataclasses

import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato
from gato_agent.checkpoint import Task, load_checkpoint, save_checkpoint
from rollouts.soup import main, soup

TASKS = {"t": Task(spaces.Box(-1, 1, (3,)), spaces.Discrete(2), info={"dataset": "d"})}


@pytest.fixture
def two(tmp_path, micro_config):
    paths = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        paths.append(tmp_path / f"c{seed}")
        save_checkpoint(paths[-1], Gato(micro_config), TASKS)
    return paths


def test_the_soup_is_the_weighted_mean_and_keeps_the_tasks(two, tmp_path):
    out = soup(two, tmp_path / "soup", [0.25, 0.75])
    a, b, s = (load_checkpoint(p) for p in (*two, out))
    for key, value in s.model.state_dict().items():
        expected = 0.25 * a.model.state_dict()[key] + 0.75 * b.model.state_dict()[key]
        torch.testing.assert_close(value, expected)
    assert s.tasks["t"].observation_space == TASKS["t"].observation_space
    assert s.tasks["t"].info == {"dataset": "d"}
    assert not list(tmp_path.glob(".soup.tmp"))


def test_equal_weights_by_default_and_the_cli(two, tmp_path, capsys):
    assert main([str(p) for p in two] + ["--out", str(tmp_path / "s")]) == 0
    assert "wrote" in capsys.readouterr().out
    a, b, s = (load_checkpoint(p) for p in (*two, tmp_path / "s"))
    key = "tokens.weight"
    torch.testing.assert_close(s.model.state_dict()[key], (a.model.state_dict()[key] + b.model.state_dict()[key]) / 2)


@pytest.mark.parametrize("weights, message", [
    ([0.5], "1 weights for 2 checkpoints"),
    ([0.7, 0.7], "sum to 1"),
    ([-0.5, 1.5], "positive"),
])
def test_bad_weights_are_refused(two, tmp_path, weights, message):
    with pytest.raises(ValueError, match=message):
        soup(two, tmp_path / "s", weights)
    assert not (tmp_path / "s").exists()


def test_other_models_or_tasks_are_refused_with_the_difference(two, tmp_path, micro_config):
    wider = dataclasses.replace(micro_config, ff_dim=128)
    save_checkpoint(tmp_path / "wide", Gato(wider), TASKS)
    with pytest.raises(ValueError, match="ff_dim=64 vs 128"):
        soup([two[0], tmp_path / "wide"], tmp_path / "s")
    save_checkpoint(tmp_path / "other", Gato(micro_config), {"u": TASKS["t"]})
    with pytest.raises(ValueError, match="same tasks"):
        soup([two[0], tmp_path / "other"], tmp_path / "s")
    assert main([str(two[0]), "--out", str(tmp_path / "s")]) == 2
