"""The behaviour-cloning loss: cross-entropy on action tokens only [2.3].

Each action token is scored over the ids legal for its action dimension (the discrete values or
the continuous bins it may take); the logits of the other 31k+ ids are never computed.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gato_agent.data import Batch
from gato_agent.model import Gato

__all__ = ["ActionLoss", "action_loss"]


class ActionLoss(NamedTuple):
    """The action cross-entropy of a batch, and per action token what per-task logs need."""

    loss: Tensor  # () mean over the batch's action tokens
    accuracy: Tensor  # () share of action tokens whose greedy prediction is right
    token_loss: Tensor  # (N,) each action token's cross-entropy
    correct: Tensor  # (N,) bool; greedy prediction right
    row: Tensor  # (N,) long; the batch row each action token is in


def action_loss(model: Gato, hidden: Tensor, batch: Batch) -> ActionLoss:
    """Cross-entropy of each action token given the tokens before it, over its legal ids [2.3].

    hidden: (B, L, D). Only positions that precede an action token get logits, and only over the
    control ids (discrete values and continuous bins); ids outside a token's [lo, hi) are masked.
    The cross-entropy is taken in fp32 whatever the autocast precision of the logits.
    """
    c = model.config
    where = batch.targets[:, 1:] >= 0  # (B, L-1): position t predicts token t+1
    h = hidden[:, :-1][where]  # (N, D)
    targets, lo, hi = (x[:, 1:][where] for x in (batch.targets, batch.lo, batch.hi))  # (N,)
    table = model.tokens.weight
    control = torch.cat([table[: c.discrete_values], table[c.continuous_offset : c.continuous_offset + c.continuous_bins]])
    logits = h @ control.T  # (N, discrete_values + continuous_bins)
    to_control = lambda ids: torch.where(ids < c.discrete_values, ids, ids - c.continuous_offset + c.discrete_values)
    index = torch.arange(logits.shape[1], device=logits.device)
    legal = (index >= to_control(lo)[:, None]) & (index < to_control(hi - 1)[:, None] + 1)
    logits = logits.float().masked_fill(~legal, float("-inf"))
    target = to_control(targets)
    token_loss = F.cross_entropy(logits, target, reduction="none")
    correct = logits.argmax(-1) == target
    row = where.nonzero()[:, 0]
    return ActionLoss(token_loss.mean(), correct.float().mean(), token_loss, correct, row)
