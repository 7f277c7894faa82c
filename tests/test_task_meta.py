"""What a checkpoint keeps of a task: its prompt budget, dataset facts and recorded action variance."""

import dataclasses

import numpy as np
import pytest

from gato_agent.data import load_task
from gato_agent.loss import MIN_ACTION_VAR
from gato_agent.task_meta import ACTION_VARIANCE, action_divisors, checkpoint_task, recorded_action_variances


def still(obs):
    return np.array([0.3], np.float32)


def test_a_checkpoint_task_keeps_its_facts_its_variance_and_a_prompt_that_leaves_room(make_dataset, micro_config):
    task = load_task(make_dataset("Pendulum-v1", still, episodes=2, max_steps=10), micro_config)
    meta = checkpoint_task(task, 128, action_var=0.25)
    assert meta.info["episodes"] == 2 and meta.info["steps"] == 20 and meta.info[ACTION_VARIANCE] == 0.25
    assert 0 < meta.prompt.ids.shape[1] <= 64  # at most half the context
    assert ACTION_VARIANCE not in checkpoint_task(task, 128).info  # trained without --normalize-actions
    assert checkpoint_task(task, 128, context_steps=1).prompt is None  # windowed and never prompted in training
    steps = (128 - 64) // task.step_tokens + 2  # the window leaves less than half the context to a prompt
    room = 128 - steps * task.step_tokens
    assert 0 < checkpoint_task(task, 128, context_steps=steps, prompted=True).prompt.ids.shape[1] <= room < 64
    assert checkpoint_task(task, 128, context_steps=128 // task.step_tokens, prompted=True).prompt is None  # no room


def test_a_fine_tune_divides_by_the_recorded_variances_and_says_how_many(make_dataset, micro_config, capsys):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    path = make_dataset("Pendulum-v1", still, episodes=1, max_steps=10)
    kept, new = (load_task(path, config, name=name) for name in ("kept-v0", "new-v0"))
    recorded = recorded_action_variances({"kept-v0": checkpoint_task(kept, 128, action_var=0.25),
                                          "other-v0": checkpoint_task(kept, 128)})
    assert recorded == {"kept-v0": 0.25}
    assert action_divisors([kept, new], config, recorded, "--init base").tolist() == pytest.approx([0.25, MIN_ACTION_VAR])
    assert "1 of 2 tasks keep the action variances --init base recorded; the others" in capsys.readouterr().err
    action_divisors([kept], config, recorded, "--init base")
    assert capsys.readouterr().err.strip().endswith("1 of 1 tasks keep the action variances --init base recorded")
    action_divisors([kept, new], config, recorded, None)
    assert capsys.readouterr().err == ""
