"""TrainConfig: recipe files, the model the flags name, the schedule."""

import dataclasses
import json

import pytest

from gato_agent.config import GatoConfig
from gato_agent.train_config import TrainConfig, task_prompt_prob


def test_recipe_files_give_defaults_and_reject_unknown_keys(tmp_path):
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"steps": 7, "batch_size": 3, "out": "somewhere"}))
    cfg = TrainConfig.from_json(recipe, batch_size=5)
    assert (cfg.steps, cfg.batch_size, str(cfg.out)) == (7, 5, "somewhere")
    recipe.write_text(json.dumps({"stepz": 7}))
    with pytest.raises(ValueError, match=r"unknown TrainConfig field\(s\) \['stepz'\]"):
        TrainConfig.from_json(recipe)


def test_model_config_from_preset_file_or_base(tmp_path, micro_config):
    assert TrainConfig(config="tiny", context_length=64).model_config() == GatoConfig.from_name("tiny", context_length=64)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model": micro_config.to_dict()}))
    assert TrainConfig(config=str(path)).model_config() == micro_config
    assert TrainConfig(context_length=32).model_config(micro_config).context_length == 32
    with pytest.raises(ValueError, match="neither a preset"):
        TrainConfig(config="huge").model_config()


def test_schedule_follows_the_flags():
    schedule = TrainConfig(lr=2.0, min_lr_ratio=0.5, warmup_steps=3, steps=9).schedule()
    assert schedule.to_dict() == {"lr": 2.0, "min_lr_ratio": 0.5, "warmup_steps": 3, "steps": 9}


@pytest.mark.parametrize("value", ["x", "2.5", 2.5])
def test_a_model_override_of_an_integer_field_must_be_an_integer(value):
    with pytest.raises(ValueError, match=rf"--model-overrides frame_stack {value}: frame_stack takes an integer"):
        TrainConfig(config="tiny", model_overrides={"frame_stack": value}).model_config()
    assert TrainConfig(config="tiny", model_overrides={"frame_stack": "2"}).model_config().frame_stack == 2


def test_task_prompt_prob_sets_some_tasks_chance_and_prompts_only_the_windowed_tasks_it_names():
    cfg = TrainConfig(prompt_prob=0.25, task_context_steps={"b": 1, "c": 1}, task_prompt_prob={"a": 0.0, "c": 0.5})
    assert task_prompt_prob(cfg, ["a", "b", "c", "d"]) == [0.0, 0.0, 0.5, 0.25]
    assert task_prompt_prob(dataclasses.replace(cfg, window_prompts=True), ["a", "b", "c", "d"]) == [0.0, 0.25, 0.5, 0.25]
