"""The optimizer's groups and the warmup-cosine schedule."""

import pytest

from gato_agent.model import Gato
from gato_agent.optim import CosineSchedule, build_optimizer, parameter_groups


def test_schedule_warms_up_then_decays_to_the_floor():
    schedule = CosineSchedule(lr=1.0, min_lr_ratio=0.1, warmup_steps=10, steps=110)
    assert schedule(0) == pytest.approx(0.1) and schedule(9) == pytest.approx(1.0)
    assert schedule(60) == pytest.approx(0.55) and schedule(110) == pytest.approx(0.1) and schedule(500) == pytest.approx(0.1)
    assert schedule.to_dict() == {"lr": 1.0, "min_lr_ratio": 0.1, "warmup_steps": 10, "steps": 110}


def test_decay_on_matrices_and_the_token_table_not_on_norms_biases_or_positions(micro_config):
    model = Gato(micro_config)
    decay, rest = parameter_groups(model, 0.1)
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    undecayed = {names[id(p)] for p in rest["params"]}
    assert (decay["weight_decay"], rest["weight_decay"]) == (0.1, 0.0)
    assert decayed.isdisjoint(undecayed) and decayed | undecayed == set(names.values())
    assert {"tokens.weight", "blocks.0.attn.qkv.weight", "blocks.1.ff_out.weight", "images.conv1.weight", "images.proj.weight"} <= decayed
    assert {"local_pos.weight", "images.row_pos.weight", "images.col_pos.weight", "ln_f.weight", "images.proj.bias",
            "images.norm2.weight", "blocks.0.ln1.bias"} <= undecayed
    assert build_optimizer(model, 1e-3, 0.1, next(model.parameters()).device).defaults["betas"] == (0.9, 0.95)
