"""torchrun's environment, or a single process: rank, world size, device, and gathering.

Under torchrun (WORLD_SIZE > 1) the process group is gloo on CPU and nccl on CUDA; each rank
takes the GPU of its LOCAL_RANK.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["Distributed"]


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
        if self.world > 1:
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

    def close(self, finished: bool) -> None:
        """Leave the process group; after a finished run all ranks first wait for each other, so
        none tears gloo down while another still works (seen to abort the early rank)."""
        if self.world > 1:
            if finished:
                dist.barrier()
            dist.destroy_process_group()
