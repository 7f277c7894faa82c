"""python -m rollouts.imitation: teacher-forced accuracy beside the constant-policy baseline."""

import dataclasses
import json

import numpy as np
import pytest

from gato_agent import Gato
from gato_agent.checkpoint import load_checkpoint, save_checkpoint
from gato_agent.data import load_task
from gato_agent.train import TrainConfig, train
from rollouts.imitation import constant_accuracy, imitation, main


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


def test_constant_baseline_is_the_most_common_actions_share(make_dataset, micro_config):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=30)
    task = load_task(path, micro_config)
    actions = np.concatenate([e.ids[:, -1] for e in task.episodes])
    assert constant_accuracy(task) == pytest.approx(max(np.mean(actions == 0), np.mean(actions == 1)))
    compact = dataclasses.replace(micro_config, vector_encoding="linear", min_vector_size=4)  # CartPole's 4 floats: one token
    assert constant_accuracy(load_task(path, compact)) == constant_accuracy(task)
    always_right = load_task(make_dataset("CartPole-v1", lambda obs: 1, episodes=2, max_steps=10, seed=7), micro_config)
    assert constant_accuracy(always_right) == 1.0


def test_a_trained_model_beats_the_baseline_an_untrained_one_does_not(make_dataset, micro_config, tmp_path):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=16)
    config = dataclasses.replace(micro_config, context_length=128)
    (tmp_path / "micro.json").write_text(json.dumps(config.to_dict()))
    train(TrainConfig(dataset=[str(path)], out=tmp_path / "run", config=str(tmp_path / "micro.json"), batch_size=4,
                      steps=150, warmup_steps=10, lr=3e-3, prompt_prob=0.0, checkpoint_every=150, progress=False, threads=1))
    save_checkpoint(tmp_path / "untrained", Gato(config))
    task = load_task(path, config)
    (trained,) = imitation(load_checkpoint(tmp_path / "run").model, [task], batches=2, batch_size=4)
    (untrained,) = imitation(load_checkpoint(tmp_path / "untrained").model, [task], batches=2, batch_size=4)
    assert trained.task == "CartPole-v1" and trained.tokens == untrained.tokens > 0
    assert trained.accuracy > 0.95 > trained.constant and trained.loss < untrained.loss
    assert untrained.accuracy < trained.constant + 0.2
    assert sum(trained.support.values()) == trained.tokens and min(trained.recall.values()) > 0.9


def test_a_task_with_context_steps_is_scored_on_windows_of_that_many_timesteps(make_dataset, micro_config):
    task = load_task(make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=16), micro_config)
    (whole,) = imitation(Gato(micro_config), [task], batches=1, batch_size=4)
    (short,) = imitation(Gato(micro_config), [task], batches=1, batch_size=4, context_steps=[1])
    assert short.tokens == 4 * (256 // 6) > whole.tokens  # rows of 42 one-step windows, one action token each


def test_cli_prints_a_row_per_task_and_clear_errors(make_dataset, micro_config, tmp_path, capsys):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=10)
    more = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=10, seed=3)
    save_checkpoint(tmp_path / "ckpt", Gato(micro_config))
    assert main(["--checkpoint", str(tmp_path / "ckpt"), "--dataset", str(cart), "--dataset", str(more), "--batches", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("| task |") and rows[2].startswith("| CartPole-v1 |") and rows[3] == ""  # merged: one task
    assert rows[4] == "CartPole-v1: recall per action (labels scored)" and rows[6] == "| 0 | 1 |" and len(rows) == 9
    assert main(["--checkpoint", str(tmp_path / "ckpt"), "--dataset", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--checkpoint", str(tmp_path / "ckpt"), "--dataset", str(cart), "--batches", "0"])
