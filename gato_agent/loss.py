"""The behaviour-cloning loss: cross-entropy on action tokens only [2.3].

Each action token is scored over the ids legal for its action dimension (the discrete values or
the continuous bins it may take); the logits of the other 31k+ ids are never computed.

With a model whose continuous_actions is "regression" (JAT's head, off by default), a continuous
action token's loss is instead the squared error of the head's value against the centre of the
token's bin, on the bins' [-1, 1] scale; its "correct" is whether the value falls in that bin.
Given ``action_var`` (gato-train --normalize-actions, a departure), that squared error is divided by
the variance of its task's continuous action values (``action_variance``; a fine-tune keeps the
variances its --init was trained with): a task whose actions span little of [-1, 1]
(InvertedPendulum's std is 0.08) then weighs as much as one that spans it all, where plain squared
error lets the wide tasks of a mixture drown its gradient.

With ``label_sigma`` > 0 (a departure, off by default), a continuous action token's target is not
its one bin but a Gaussian of that std around the bin's centre, integrated over the bins (HL-Gauss:
Imani & White 2018, Farebrother et al. 2024). One-hot cross-entropy over 1024 bins scores a
prediction one bin off as wrong as one at the far end of the range, so a small dataset teaches the
frequent bins (the zero action, the saturated ends) before the map from observation to action;
the Gaussian gives the loss the bins' order. Discrete action tokens keep their one-hot target.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from gato_agent.config import GatoConfig
from gato_agent.data import Batch, TaskData
from gato_agent.model import Gato
from gato_agent.tokenizer import bins_to_continuous, continuous_to_bins

__all__ = ["ActionLoss", "action_loss", "action_variance", "gaussian_bin_targets"]

MIN_ACTION_VAR = 1e-4  # floor of a task's action variance (std 0.01 on [-1, 1]): a constant action is no division by 0


class ActionLoss(NamedTuple):
    """The action cross-entropy of a batch, and per action token what per-task logs need."""

    loss: Tensor  # () mean over the batch's action tokens
    accuracy: Tensor  # () share of action tokens whose greedy prediction is right
    token_loss: Tensor  # (N,) each action token's cross-entropy
    correct: Tensor  # (N,) bool; greedy prediction right
    row: Tensor  # (N,) long; the batch row each action token is in


def action_loss(model: Gato, hidden: Tensor, batch: Batch, label_sigma: float = 0.0,
                action_var: Tensor | None = None) -> ActionLoss:
    """Cross-entropy of each action token given the tokens before it, over its legal ids [2.3].

    hidden: (B, L, D). Only positions that precede an action token get logits, and only over the
    control ids (discrete values and continuous bins); ids outside a token's [lo, hi) are masked.
    The cross-entropy is taken in fp32 whatever the autocast precision of the logits.
    label_sigma: with > 0, continuous action tokens are scored against a Gaussian of this std (on
    the [-1, 1] bin scale) over the bins (HL-Gauss, module doc); 0: one-hot, the paper's.
    action_var: (num_tasks,) with a regression head, each task's variance of its continuous action
    values (action_variance), indexed by batch.task; a continuous token's squared error is divided by
    its task's. None: not divided.
    """
    c = model.config
    where = batch.targets[:, 1:] >= 0  # (B, L-1): position t predicts token t+1
    h = hidden[:, :-1][where]  # (N, D)
    targets, lo, hi = (x[:, 1:][where] for x in (batch.targets, batch.lo, batch.hi))  # (N,)
    row = where.nonzero()[:, 0]
    if c.continuous_actions != "regression":
        token_loss, correct = _classified(model, h, targets, lo, hi, label_sigma)
    else:  # continuous tokens by the head, the others by the softmax; no logits for the former
        regress = targets >= c.continuous_offset  # (N,)
        token_loss = torch.zeros(targets.shape, device=h.device)
        correct = torch.zeros(targets.shape, dtype=torch.bool, device=h.device)
        for part, scored in ((~regress, lambda m: _classified(model, h[m], targets[m], lo[m], hi[m], label_sigma)),
                             (regress, lambda m: _regressed(model, h[m], targets[m],
                                                            None if action_var is None else action_var[batch.task[row[m]]]))):
            if part.any():
                part_loss, part_correct = scored(part)
                token_loss, correct = token_loss.masked_scatter(part, part_loss), correct.masked_scatter(part, part_correct)
    return ActionLoss(token_loss.mean(), correct.float().mean(), token_loss, correct, row)


def _classified(model: Gato, h: Tensor, targets: Tensor, lo: Tensor, hi: Tensor, label_sigma: float) -> tuple[Tensor, Tensor]:
    """Cross-entropy (fp32) and greedy correctness (N,) of tokens over their legal control ids: h (N, D);
    targets, lo, hi (N,) ids."""
    c = model.config
    table = model.tokens.weight
    control = torch.cat([table[: c.discrete_values], table[c.continuous_offset : c.continuous_offset + c.continuous_bins]])
    logits = h @ control.T  # (N, discrete_values + continuous_bins)
    to_control = lambda ids: torch.where(ids < c.discrete_values, ids, ids - c.continuous_offset + c.discrete_values)
    index = torch.arange(logits.shape[1], device=logits.device)
    legal = (index >= to_control(lo)[:, None]) & (index < to_control(hi - 1)[:, None] + 1)
    logits = logits.float().masked_fill(~legal, float("-inf"))
    target = to_control(targets)
    if label_sigma > 0:
        token_loss = _soft_cross_entropy(logits, target, c.discrete_values, c.continuous_bins, label_sigma)
    else:
        token_loss = F.cross_entropy(logits, target, reduction="none")
    return token_loss, logits.argmax(-1) == target


def _regressed(model: Gato, h: Tensor, targets: Tensor, var: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Continuous action tokens scored by the regression head: h (N, D), targets (N,) ids -> squared
    error against the label bin's centre (fp32; divided by var (N,) where given) and whether the
    value falls in that bin (N,)."""
    c = model.config
    bins = targets - c.continuous_offset  # (N,)
    value = model.action_values(h).float()  # (N,)
    centre = bins_to_continuous(bins, c.continuous_bins).float()
    error = (value - centre).square()
    return error if var is None else error / var, continuous_to_bins(value.detach(), c.continuous_bins) == bins


def action_variance(tasks: list[TaskData], config: GatoConfig, max_steps: int = 20_000,
                    known: dict[str, float] | None = None) -> Tensor:
    """(len(tasks),) fp32: each task's variance of its continuous action values on the [-1, 1] bin
    scale (the mean over its action dims of each dim's variance), from the labels of up to about
    `max_steps` timesteps of evenly spaced episodes; at least MIN_ACTION_VAR. A task without
    continuous actions gets 1. A task named in `known` (a fine-tune's --init recorded its variance)
    keeps that value: a fine-tune on the model's own episodes (a DAgger set of a balanced
    pendulum) would otherwise divide by their far smaller variance and let that task swamp the rest."""
    out = []
    for task in tasks:
        if known is not None and task.name in known:
            out.append(max(MIN_ACTION_VAR, float(known[task.name])))
            continue
        n_act = task.timestep.n_act
        count = max(1, round(len(task.episodes) * min(1.0, max_steps / max(1, task.num_steps))))
        picks = np.unique(np.linspace(0, len(task.episodes) - 1, count).round().astype(int))
        labels = np.concatenate([task.episodes[int(i)].ids[:, task.timestep.stored_size - n_act:] for i in picks])
        bins = labels.astype(np.int64) - config.continuous_offset  # (T, n_act)
        continuous = (bins >= 0).all(0)  # (n_act,) the continuous dims
        if not continuous.any():
            out.append(1.0)
            continue
        values = bins_to_continuous(torch.from_numpy(bins[:, continuous]), config.continuous_bins).double()
        out.append(max(MIN_ACTION_VAR, values.var(0, unbiased=False).mean().item()))
    return torch.tensor(out, dtype=torch.float32)


def gaussian_bin_targets(bins: Tensor, num_bins: int, sigma: float) -> Tensor:
    """Bin indices (N,) of values in [-1, 1] -> (N, num_bins) probabilities: a Gaussian of std
    ``sigma`` around each bin's centre, integrated over each bin; the mass past -1 and +1 goes to the
    edge bins (values are clipped into them)."""
    edges = torch.linspace(-1.0, 1.0, num_bins + 1, device=bins.device, dtype=torch.float64)
    edges[0], edges[-1] = -math.inf, math.inf
    centre = (bins.double() + 0.5) * (2.0 / num_bins) - 1.0  # (N,)
    cdf = torch.special.ndtr((edges[None, :] - centre[:, None]) / sigma)  # (N, num_bins + 1)
    return (cdf[:, 1:] - cdf[:, :-1]).float()


def _soft_cross_entropy(logits: Tensor, target: Tensor, discrete: int, bins: int, sigma: float) -> Tensor:
    """logits (N, discrete + bins) fp32 masked, target (N,) control indices -> (N,) cross-entropy,
    against the Gaussian over the bins where the target is a continuous bin, one-hot elsewhere."""
    logp = logits.log_softmax(-1)
    loss = -logp.gather(1, target[:, None])[:, 0]  # (N,) one-hot
    cont = target >= discrete
    if cont.any():
        soft = gaussian_bin_targets(target[cont] - discrete, bins, sigma)  # (Nc, bins)
        logp_bins = logp[cont][:, discrete:]  # (Nc, bins); finite: a continuous token's bins are legal
        loss = loss.masked_scatter(cont, -(soft * logp_bins).sum(-1))
    return loss
