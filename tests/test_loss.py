"""action_loss: cross-entropy on action tokens over their legal ids only [2.3]."""

import dataclasses

import numpy as np
import pytest
import torch

from gato_agent.data import SequenceSampler, load_task
from gato_agent.loss import MIN_ACTION_VAR, action_loss, action_variance, gaussian_bin_targets
from gato_agent.tokenizer import bins_to_continuous
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


def test_gaussian_bin_targets_are_distributions_centred_on_the_label():
    bins = torch.tensor([0, 100, 512, 1023])
    soft = gaussian_bin_targets(bins, 1024, sigma=0.05)
    torch.testing.assert_close(soft.sum(-1), torch.ones(4))
    assert torch.equal(soft.argmax(-1), bins)
    centres = (torch.arange(1024) + 0.5) * (2 / 1024) - 1
    torch.testing.assert_close((soft[1:3] * centres).sum(-1), centres[bins[1:3]], atol=1e-4, rtol=0)
    assert soft[0, 0] > 0.45 and soft[3, -1] > 0.45  # the mass past -1 and +1 is clipped into the edge bins
    assert gaussian_bin_targets(bins, 1024, sigma=1e-5)[1, 100] > 0.999  # a tiny std is one-hot


def test_label_sigma_gives_continuous_tokens_the_bins_order_and_leaves_discrete_ones(make_dataset, micro_config):
    task = load_task(make_dataset("Pendulum-v1", lambda obs: np.array([0.5], np.float32), episodes=1, max_steps=10), micro_config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    model = Gato(micro_config)
    label = int(batch.targets[batch.targets >= 0][0])  # the bin of 0.5 on Pendulum's [-2, 2]
    with torch.no_grad():
        hard = action_loss(model, model(batch.tokens), batch)
        tiny = action_loss(model, model(batch.tokens), batch, label_sigma=1e-5)
        torch.testing.assert_close(tiny.token_loss, hard.token_loss, atol=1e-3, rtol=0)
        losses = {}
        centres = (torch.arange(micro_config.continuous_bins) + 0.5) * (2 / micro_config.continuous_bins) - 1
        bins = slice(micro_config.continuous_offset, micro_config.continuous_offset + micro_config.continuous_bins)
        hidden = torch.zeros(*batch.tokens.ids.shape, micro_config.embed_dim)
        hidden[..., 0] = 1.0
        for off in (3, 300):  # every token predicts a Gaussian blob (std 0.05) `off` bins above the label
            mean = centres[label - micro_config.continuous_offset + off]
            model.tokens.weight.zero_()
            model.tokens.weight[bins, 0] = -((centres - mean) ** 2) / (2 * 0.05 ** 2)
            losses[off] = (action_loss(model, hidden, batch).loss.item(), action_loss(model, hidden, batch, label_sigma=0.05).loss.item())
    assert losses[3][0] < losses[300][0]
    assert losses[3][1] < losses[300][1] - 1.0  # Gaussian: nearly right scores far better
    cart = load_task(make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=1, max_steps=10), micro_config)
    discrete = SequenceSampler([cart], None, 60, seed=0, prompt_prob=0.0).sample(2)
    with torch.no_grad():
        torch.testing.assert_close(action_loss(model, model(discrete.tokens), discrete, label_sigma=0.05).token_loss,
                                   action_loss(model, model(discrete.tokens), discrete).token_loss)


def test_a_regression_model_scores_continuous_tokens_by_squared_error(make_dataset, micro_config):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    task = load_task(make_dataset("Pendulum-v1", lambda obs: np.array([0.5], np.float32), episodes=1, max_steps=10), config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    model = Gato(config)
    label = int(batch.targets[batch.targets >= 0][0]) - config.continuous_offset  # the bin of 0.5 on [-2, 2]
    centre = (label + 0.5) * (2 / config.continuous_bins) - 1  # 0.25 on the bins' scale
    for value, right in ((centre, True), (centre + 0.1, False)):
        with torch.no_grad():
            model.action_head.weight.zero_()
            model.action_head.bias.fill_(value)
            result = action_loss(model, model(batch.tokens), batch)
        torch.testing.assert_close(result.token_loss, torch.full_like(result.token_loss, (value - centre) ** 2))
        assert bool(result.correct.all()) is right
    loss = action_loss(Gato(config), Gato(config)(batch.tokens), batch).loss
    assert loss.requires_grad


def test_a_regression_model_keeps_cross_entropy_for_discrete_tokens(make_dataset, micro_config):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    task = load_task(make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=1, max_steps=10), config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    torch.manual_seed(0)
    regression = Gato(config)
    torch.manual_seed(0)
    bins = Gato(micro_config)
    with torch.no_grad():
        a, b = (action_loss(m, m(batch.tokens), batch) for m in (regression, bins))
    torch.testing.assert_close(a.token_loss, b.token_loss)


def test_action_variance_is_each_tasks_spread_of_continuous_actions(make_dataset, micro_config):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    rng = np.random.default_rng(0)
    wide = load_task(make_dataset("Pendulum-v1", lambda obs: rng.uniform(-2, 2, 1).astype(np.float32), episodes=3,
                                  max_steps=40, name="wide-v0"), config)
    still = load_task(make_dataset("Pendulum-v1", lambda obs: np.array([0.3], np.float32), episodes=1, max_steps=10,
                                   name="still-v0"), config)
    cart = load_task(make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=1, max_steps=10, name="cart-v0"), config)
    var = action_variance([wide, still, cart], config)
    labels = np.concatenate([wide.episodes[i].ids[:, -1] for i in range(3)]) - config.continuous_offset
    expected = bins_to_continuous(torch.from_numpy(labels.astype(np.int64)), config.continuous_bins).double().var(unbiased=False)
    assert var[0].item() == pytest.approx(expected.item(), rel=1e-5) and 0.2 < var[0] < 0.45  # uniform on [-1, 1]: 1/3
    assert var[1].item() == pytest.approx(MIN_ACTION_VAR) and var[2].item() == 1.0


def test_action_variance_keeps_the_known_variances_of_a_fine_tunes_init(make_dataset, micro_config):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    path = make_dataset("Pendulum-v1", lambda obs: np.array([0.3], np.float32), episodes=1, max_steps=10)
    still, other = (load_task(path, config, name=name) for name in ("still-v0", "other-v0"))
    var = action_variance([still, other], config, known={"still-v0": 0.25, "absent-v0": 0.5})
    assert var.tolist() == pytest.approx([0.25, MIN_ACTION_VAR])  # other-v0 is measured on its data
    assert action_variance([still], config, known={"still-v0": 0.0}).item() == pytest.approx(MIN_ACTION_VAR)


def test_action_var_divides_each_continuous_tokens_squared_error_by_its_tasks(make_dataset, micro_config):
    config = dataclasses.replace(micro_config, continuous_actions="regression")
    task = load_task(make_dataset("Pendulum-v1", lambda obs: np.array([0.5], np.float32), episodes=1, max_steps=10), config)
    batch = SequenceSampler([task], None, 60, seed=0, prompt_prob=0.0).sample(2)
    model = Gato(config)
    with torch.no_grad():
        hidden = model(batch.tokens)
        plain = action_loss(model, hidden, batch)
        divided = action_loss(model, hidden, batch, action_var=torch.tensor([0.04]))
    torch.testing.assert_close(divided.token_loss, plain.token_loss / 0.04)
    assert torch.equal(divided.correct, plain.correct)
