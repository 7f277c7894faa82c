"""A rolling-buffer KV cache: preallocated per-layer buffers written at explicit slots.

Each of B rows (one per env) is an independent stream with its own absolute positions, which only
ever grow. Token at position p lives in slot p % (window + chunk); a query at position q attends to
the cached tokens at positions (q - window, q]. With rotary positions (keys are rotated once, at
their absolute position, when written) this is exact sliding-window attention: memory is bounded
by the buffer, and no two cached tokens ever share a position, however long the episode runs.

The `chunk` extra slots let a call write up to `chunk + 1` tokens at once without overwriting a
token that an earlier query of the same call still sees. The last slot is a trash slot for padding
tokens (rows with nothing to write at some index of a batched call); no query but padding sees it.

Until the ring wraps, a row's tokens sit in slots [0, next_pos). `filled`, a host-side upper bound on
the slots in use over all rows, lets a call without padding attend over that span only (`span` of
`plan` and `write`), so a nearly empty context costs a fraction of a full one; the whole buffer is
the static-shape alternative that torch.compile can take.

A row's `floor` (0 unless set) hides every cached token at a lower position from later queries:
the agent sets it to the first token of the oldest timestep a task acts on (`GatoAgent`'s
`context_steps`), so the context is whole timesteps, as the model was trained on them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["KVCache"]


class KVCache(nn.Module):
    """Keys and values of `num_layers` layers for `batch` independent token streams."""

    def __init__(
        self,
        num_layers: int,
        batch: int,
        num_heads: int,
        head_dim: int,
        window: int,
        chunk: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ):
        super().__init__()
        self.window = window  # tokens a query attends over, itself included
        self.chunk = chunk  # most tokens one call may write into a non-empty row, minus one
        self.ring = window + chunk  # slots that hold real tokens; slot `ring` is the trash slot
        size = self.ring + 1
        shape = (num_layers, batch, num_heads, size, head_dim)
        self.register_buffer("k", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        # absolute position held by each slot, -1 where empty
        self.register_buffer("slot_pos", torch.full((batch, size), -1, dtype=torch.long, device=device), persistent=False)
        # the next absolute position of each row
        self.register_buffer("next_pos", torch.zeros(batch, dtype=torch.long, device=device), persistent=False)
        # the lowest position each row's queries see (0: as far back as the window reaches)
        self.register_buffer("floor", torch.zeros(batch, dtype=torch.long, device=device), persistent=False)
        # what a padding query sees: the trash slot only
        self.register_buffer("trash_only", torch.arange(size, device=device) == self.ring, persistent=False)
        self.filled = 0  # host-side: every row's tokens lie in slots [0, filled) (an upper bound, <= ring)

    @property
    def batch(self) -> int:
        return self.k.shape[1]

    @property
    def size(self) -> int:
        """Slots per row: the ring and the trash slot."""
        return self.ring + 1

    def reset(self, rows: Tensor | list[int] | None = None) -> None:
        """Empty some rows (all if None): their streams start again at position 0."""
        index = slice(None) if rows is None else torch.as_tensor(rows, dtype=torch.long, device=self.slot_pos.device)
        self.slot_pos[index] = -1
        self.next_pos[index] = 0
        self.floor[index] = 0
        if rows is None or len(set(int(r) for r in rows)) == self.batch:
            self.filled = 0

    def rewind(self, length: int) -> None:
        """Forget every row's tokens at positions >= `length`; each row's next token goes to position
        `length` again. For rows whose positions never passed the ring (all in slots [0, ring)): the
        agent keeps a prompt in [0, length) and lays each step after it anew."""
        if not 0 <= length <= self.ring:
            raise ValueError(f"cannot rewind to position {length}: the ring holds positions [0, {self.ring}) before it wraps")
        self.slot_pos.masked_fill_(self.slot_pos >= length, -1)
        self.next_pos.fill_(length)
        self.floor.zero_()
        self.filled = min(self.filled, length)

    def reserve(self, tokens: int) -> int:
        """Host-side bookkeeping that must precede every `plan` of a call writing up to `tokens` tokens
        per row; returns the span of slots [0, span) that then holds every row's tokens (the whole ring
        once it wraps)."""
        self.filled = min(self.ring, self.filled + tokens)
        return self.filled

    def max_tokens_per_call(self, rows_empty: bool) -> int:
        """How many tokens one call may write: a whole buffer into empty rows, chunk + 1 otherwise."""
        return self.ring if rows_empty else self.chunk + 1

    def plan(self, valid: Tensor, span: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Take slots for a call's tokens and advance the rows' positions.

        valid: (B, T) bool; False marks padding, which takes no position.
        span: the mask covers slots [0, span) only (from `reserve`, for a call without padding);
            None: the whole buffer, trash slot included.
        Returns positions (B, T) long, slots (B, T) long, and the attention mask (B, 1, T, span) bool.
        """
        positions = self.next_pos[:, None] + valid.long().cumsum(1) - 1  # (B, T)
        slots = torch.where(valid, positions % self.ring, self.ring)  # (B, T)
        positions = torch.where(valid, positions, 0)
        self.slot_pos.scatter_(1, slots, torch.where(valid, positions, -1))
        self.next_pos += valid.long().sum(1)
        span = self.size if span is None else span
        key_pos = self.slot_pos[:, None, :span]  # (B, 1, S)
        query_pos = positions[:, :, None]  # (B, T, 1)
        seen = (key_pos >= 0) & (key_pos <= query_pos) & (key_pos > query_pos - self.window)  # (B, T, S)
        seen &= key_pos >= self.floor[:, None, None]
        # a padding query (its output is never used) sees the trash slot, or every slot of a span
        # that stops short of it: never nothing, which would make its attention NaN
        mask = torch.where(valid[:, :, None], seen, self.trash_only[:span] if span == self.size else True)
        return positions, slots, mask[:, None]

    def write(self, layer: int, k: Tensor, v: Tensor, slots: Tensor, span: int | None = None) -> tuple[Tensor, Tensor]:
        """Write k, v (B, H, T, Dh) into `slots` (B, T) of one layer; returns that layer's buffers over
        slots [0, span) (default all): views (B, H, S, Dh). k and v are stored in the buffers' dtype
        (under autocast they come in the autocast type)."""
        k, v = k.to(self.k.dtype), v.to(self.v.dtype)
        if torch.compiler.is_compiling():
            # inductor writes index_put_ on a whole buffer in place, but copies a layer's view for scatter_
            layers = torch.full_like(slots, layer)  # (B, T)
            rows = torch.arange(slots.shape[0], device=slots.device)[:, None].expand_as(slots)  # (B, T)
            self.k[layers, rows, :, slots] = k.transpose(1, 2)  # (B, T, H, Dh)
            self.v[layers, rows, :, slots] = v.transpose(1, 2)
        else:  # eager: scatter_ is the faster kernel
            index = slots[:, None, :, None].expand_as(k)
            self.k[layer].scatter_(2, index, k)
            self.v[layer].scatter_(2, index, v)
        return self.k[layer, :, :, :span], self.v[layer, :, :, :span]

    def copy_row(self, src: KVCache, src_row: int, rows: Tensor | list[int]) -> None:
        """Copy row `src_row` of another cache of the same geometry into `rows` (e.g. a cached prompt)."""
        rows = torch.as_tensor(rows, dtype=torch.long, device=self.k.device)
        used = src.filled  # the source's tokens lie in its slots [0, used); the others are never seen
        self.k[:, rows, :, :used] = src.k[:, src_row : src_row + 1, :, :used]
        self.v[:, rows, :, :used] = src.v[:, src_row : src_row + 1, :, :used]
        self.slot_pos[rows] = src.slot_pos[src_row]
        self.next_pos[rows] = src.next_pos[src_row]
        self.floor[rows] = src.floor[src_row]
        covers_all = len(set(rows.tolist())) == self.batch
        self.filled = src.filled if covers_all else max(self.filled, src.filled)
