"""action_loss: cross-entropy on action tokens over their legal ids only [2.3]."""

import numpy as np
import torch

from gato_agent.data import SequenceSampler, load_task
from gato_agent.loss import action_loss
from gato_agent.model import Gato


def test_loss_covers_only_legal_ids(make_dataset, micro_config):
    task = load_task(make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=1, max_steps=10), micro_config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    model = Gato(micro_config)
    with torch.no_grad():
        model.tokens.weight[2:] += 100.0  # illegal ids score far higher: they must not matter
        result = action_loss(model, model(batch.tokens), batch)
    assert result.loss < 10  # a 2-way choice; with the illegal ids counted it would be ~100
    n = int((batch.targets >= 0).sum())
    assert result.token_loss.shape == result.correct.shape == result.row.shape == (n,)
    assert torch.equal(result.row, (batch.targets[:, 1:] >= 0).nonzero()[:, 0])


def test_loss_is_fp32_under_bf16_autocast(make_dataset, micro_config):
    task = load_task(make_dataset("Pendulum-v1", lambda obs: np.array([0.5], np.float32), episodes=1, max_steps=10), micro_config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    model = Gato(micro_config)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        result = action_loss(model, model(batch.tokens), batch)
    assert result.token_loss.dtype == torch.float32 and torch.isfinite(result.loss)
