"""Micro-batches for the training loop: built in the training process or in DataLoader workers,
and their gradients accumulated into one optimizer step.

Micro-batch k of a rank holds sequences [k * B, (k + 1) * B) of its SequenceSampler, each a pure
function of (seed, rank, index): the batches are the same with 0 or N workers, and after --resume,
which starts at the first micro-batch not yet trained on. An optimizer step of `grad_accum`
micro-batches of B rows takes the gradient of the loss over all their action tokens (each
micro-batch's mean weighted by its share of the tokens), the same as one batch of grad_accum * B rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from gato_agent.data import Batch, SequenceSampler
from gato_agent.distributed import Distributed
from gato_agent.loss import action_loss
from gato_agent.metrics import MetricsLog
from gato_agent.model import Gato
from gato_agent.precision import MixedPrecision

__all__ = ["MicroBatches", "StepStats", "accumulate"]


class _Indexed(Dataset):
    """Micro-batch k of `batch_size` sequences: what a DataLoader worker builds."""

    def __init__(self, sampler: SequenceSampler, batch_size: int):
        self.sampler = sampler
        self.batch_size = batch_size

    def __getitem__(self, k: int) -> Batch:
        return self.sampler.batch(k * self.batch_size, self.batch_size)


class MicroBatches:
    """The endless stream of one rank's micro-batches from the sampler's position on; its state
    (for checkpoints) is the sampler's, counting the micro-batches handed out."""

    def __init__(self, sampler: SequenceSampler, batch_size: int, workers: int = 0):
        """workers: DataLoader worker processes building batches ahead (0: in this process)."""
        if sampler.next % batch_size:
            raise ValueError(f"the sampler stands at sequence {sampler.next}, not at a batch of {batch_size}: "
                             "--resume with the run's --batch-size")
        self.sampler = sampler
        self.batch_size = batch_size
        self.taken = sampler.next // batch_size  # micro-batches handed out
        self._loader: Iterator[Batch] | None = None
        if workers:
            loader = DataLoader(_Indexed(sampler, batch_size), batch_size=None, sampler=itertools.count(self.taken),
                                num_workers=workers, prefetch_factor=2, persistent_workers=False)
            self._loader = iter(loader)

    def __next__(self) -> Batch:
        batch = next(self._loader) if self._loader is not None else self.sampler.batch(self.taken * self.batch_size, self.batch_size)
        self.taken += 1
        return batch

    def __iter__(self) -> MicroBatches:
        return self

    def state_dict(self) -> dict[str, Any]:
        return {"next": self.taken * self.batch_size}

    def close(self) -> None:
        """Stop the workers (if any)."""
        self._loader = None


@dataclass
class StepStats:
    """What an optimizer step's micro-batches add up to."""

    loss: float  # mean cross-entropy over all their action tokens
    accuracy: float  # share of their action tokens predicted right
    tokens: int  # tokens the step read on this rank (padding included)


def accumulate(net: nn.Module, model: Gato, batches: list[Batch], amp: MixedPrecision, env: Distributed,
               log: MetricsLog, label_sigma: float = 0.0, action_var: Tensor | None = None) -> StepStats:
    """Forward and backward each micro-batch, adding into the parameters' .grad the gradient of
    the mean loss over all the batches' action tokens; the ranks all-reduce on the last one only.
    label_sigma: the Gaussian targets of continuous action tokens (gato_agent.loss; 0: one-hot);
    action_var: (num_tasks,) divisors of a regression head's squared errors (gato_agent.loss; None: none)."""
    counts = [int((b.targets[:, 1:] >= 0).sum()) for b in batches]  # action tokens each loss averages
    total = max(1, sum(counts))
    loss = correct = 0.0
    for i, (batch, count) in enumerate(zip(batches, counts)):
        with env.gradient_sync(net, i == len(batches) - 1):
            with amp.autocast():
                result = action_loss(model, net(batch.tokens, windows=batch.windows), batch, label_sigma, action_var)
            share: Tensor = result.loss * (count / total) if len(batches) > 1 else result.loss
            amp.backward(share)
        loss += share.item()
        correct += result.correct.sum().item()
        log.tasks(batch.task[result.row], result.token_loss, result.correct)
    return StepStats(loss, correct / total, sum(b.tokens.ids.numel() for b in batches))

