"""torchrun's environment, or a single process: rank, world size, device, gathering, and how the
model is spread over the ranks.

Under torchrun (WORLD_SIZE > 1) the process group is gloo on CPU and nccl on CUDA; each rank
takes the GPU of its LOCAL_RANK. The `ddp` strategy keeps a whole model on every rank and averages
gradients (DistributedDataParallel); `fsdp` shards each transformer block and the rest of the
model over the ranks (torch.distributed.fsdp.fully_shard), for presets too big to hold whole with
their optimizer state. Checkpoints hold the full weights and optimizer state either way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.fsdp import fully_shard

from gato_agent.model import Block, Gato

__all__ = ["Strategy", "Distributed"]

Strategy = Literal["ddp", "fsdp"]
_FULL = StateDictOptions(full_state_dict=True, cpu_offload=True)


class Distributed:
    """The ranks of a torchrun job (a single process without torchrun)."""

    def __init__(self, device: str = "auto"):
        """device: cpu, cuda, or auto (cuda when available)."""
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        self.owns_group = self.world > 1 and not dist.is_initialized()  # a caller's own group is left to it
        if self.owns_group:
            dist.init_process_group("nccl" if cuda else "gloo")

    @property
    def main(self) -> bool:
        """Rank 0: the one that writes checkpoints and logs."""
        return self.rank == 0

    def gather(self, value: Any) -> list[Any]:
        """Every rank's `value` (any picklable object), in rank order, on every rank."""
        if self.world == 1:
            return [value]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, value)
        return out

    def any(self, flag: bool) -> bool:
        """Whether `flag` is true on any rank (a collective: every rank must call it)."""
        if self.world == 1:
            return flag
        value = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def wrap(self, model: Gato, strategy: Strategy) -> nn.Module:
        """The module to run the forward pass through: `model` itself in one process, DDP around
        it, or (fsdp) `model` sharded in place, block by block and then as a whole."""
        if self.world == 1:
            return model
        if strategy == "ddp":  # batches without images leave the patch block unused: find_unused_parameters
            return nn.parallel.DistributedDataParallel(model, find_unused_parameters=True)
        for module in model.modules():
            if isinstance(module, Block):
                fully_shard(module)
        fully_shard(model)
        return model

    @contextmanager
    def gradient_sync(self, net: nn.Module, sync: bool) -> Iterator[None]:
        """Around one micro-batch's backward pass: with `sync` false the ranks keep their gradients
        to themselves (DDP's no_sync; fsdp's set_requires_gradient_sync), so only the last
        micro-batch of an optimizer step pays for the all-reduce."""
        if isinstance(net, nn.parallel.DistributedDataParallel) and not sync:
            with net.no_sync():
                yield
            return
        if self.world > 1 and hasattr(net, "set_requires_gradient_sync"):  # fully_shard
            net.set_requires_gradient_sync(sync)
        yield

    def sharded(self, strategy: Strategy) -> bool:
        """Whether `wrap` shards the model (and its optimizer state) over the ranks."""
        return self.world > 1 and strategy == "fsdp"

    def full_weights(self, model: Gato, strategy: Strategy) -> dict[str, Tensor]:
        """The whole model's weights on the CPU (under fsdp a collective: every rank must call it)."""
        if self.sharded(strategy):
            return get_model_state_dict(model, options=_FULL)
        return model.state_dict()

    def optimizer_state(self, model: Gato, optimizer: torch.optim.Optimizer, strategy: Strategy) -> dict[str, Any]:
        """The optimizer's whole state (under fsdp gathered, keyed by parameter name; a collective)."""
        if self.sharded(strategy):
            return get_optimizer_state_dict(model, optimizer, options=_FULL)
        return optimizer.state_dict()

    def load_optimizer_state(self, model: Gato, optimizer: torch.optim.Optimizer, state: dict[str, Any], strategy: Strategy) -> None:
        """Inverse of `optimizer_state` (under fsdp each rank keeps its shard of the whole state)."""
        if self.sharded(strategy):
            # strict=False: parameters never used yet (the patch block of a run without images) have no state
            set_optimizer_state_dict(model, optimizer, state, options=StateDictOptions(full_state_dict=True, strict=False))
        else:
            optimizer.load_state_dict(state)

    def close(self, finished: bool) -> None:
        """Leave the process group (unless the caller made it); after a finished run all ranks first
        wait for each other, so none tears gloo down while another still works (seen to abort the early rank)."""
        if self.world > 1:
            if finished:
                dist.barrier()
            if self.owns_group:
                dist.destroy_process_group()
