"""Gato's tokenization as pure functions with their inverses [2.1, App. B].

Token id layout (`GatoConfig` holds the sizes):

    [0, text_vocab_size)                              text; discrete values use [0, 1024) unshifted
    [text_vocab_size, text_vocab_size + bins)         continuous values, mu-law companded and binned
    text_vocab_size + bins                            the separator between observation and action

Images do not become ids: the model's image encoder reads them (gato_agent.images).
Every function here works on a batch (any leading dims) and never mutates its input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "TokenBatch",
    "mu_law_encode",
    "mu_law_decode",
    "continuous_to_bins",
    "bins_to_continuous",
    "continuous_to_tokens",
    "tokens_to_continuous",
    "discrete_to_tokens",
    "tokens_to_discrete",
]


# ----- continuous values [2.1, App. B] -----


def mu_law_encode(x: Tensor, mu: float = 100.0, m: float = 256.0) -> Tensor:
    """F(x) = sgn(x) * log(|x| mu + 1) / log(M mu + 1) [App. B]; maps [-M, M] onto [-1, 1]."""
    x = x.to(torch.float64)
    return torch.sign(x) * torch.log1p(x.abs() * mu) / math.log1p(m * mu)


def mu_law_decode(y: Tensor, mu: float = 100.0, m: float = 256.0) -> Tensor:
    """Inverse of `mu_law_encode` on [-1, 1]."""
    y = y.to(torch.float64)
    return torch.sign(y) * torch.expm1(y.abs() * math.log1p(m * mu)) / mu


def continuous_to_bins(x: Tensor, bins: int = 1024) -> Tensor:
    """Clip to [-1, 1], then cut [-1, 1] into `bins` uniform bins; returns bin indices in [0, bins).

    Clipping comes first, so huge values land in the edge bins; +1 falls into the last bin.
    """
    x = x.to(torch.float64).clamp(-1.0, 1.0)
    return torch.floor((x + 1.0) * (bins / 2.0)).long().clamp(0, bins - 1)


def bins_to_continuous(b: Tensor, bins: int = 1024) -> Tensor:
    """The centre of each bin: within half a bin (1 / bins) of every value that maps to it."""
    return (b.to(torch.float64) + 0.5) * (2.0 / bins) - 1.0


def continuous_to_tokens(
    x: Tensor, offset: int, bins: int = 1024, mu_law: bool = True, mu: float = 100.0, m: float = 256.0
) -> Tensor:
    """Continuous values to token ids in [offset, offset + bins).

    Observations are mu-law companded first; values already in [-1, 1] (actions rescaled from their
    Box bounds) are binned as they are (`mu_law=False`) [2.1].
    """
    if mu_law:
        x = mu_law_encode(x, mu, m)
    return continuous_to_bins(x, bins) + offset


def tokens_to_continuous(
    ids: Tensor, offset: int, bins: int = 1024, mu_law: bool = True, mu: float = 100.0, m: float = 256.0
) -> Tensor:
    """Inverse of `continuous_to_tokens` (up to the bin width); ids outside the range are an error."""
    b = ids.long() - offset
    if b.numel() and (b.min() < 0 or b.max() >= bins):
        raise ValueError(f"continuous token ids must lie in [{offset}, {offset + bins}), got [{ids.min()}, {ids.max()}]")
    y = bins_to_continuous(b, bins)
    return mu_law_decode(y, mu, m) if mu_law else y


# ----- discrete values [2.1] -----


def discrete_to_tokens(x: Tensor, num_values: int = 1024) -> Tensor:
    """Integers in [0, num_values) are their own token ids (not shifted: they share ids with text)."""
    ids = torch.as_tensor(x).long()
    if ids.numel() and (ids.min() < 0 or ids.max() >= num_values):
        raise ValueError(f"discrete values must lie in [0, {num_values}), got [{ids.min()}, {ids.max()}]")
    return ids


def tokens_to_discrete(ids: Tensor, num_values: int = 1024) -> Tensor:
    """Inverse of `discrete_to_tokens`."""
    return discrete_to_tokens(ids, num_values)


# ----- images [2.1] -----


# ----- a batch of tokens, as the model takes it -----


@dataclass
class TokenBatch:
    """B sequences of T tokens: ids for the lookup table, image patches (or images) for the image
    encoder, and with the compact vector layout (gato_agent.vectors) observation vectors for its
    linear layer.

    Patches and vectors are stored compactly (only where their mask is set), in (b, t) raster order.
    """

    ids: Tensor  # (B, T) long; ignored where patch_mask or vector_mask is set
    local_pos: Tensor  # (B, T) long; i + 1 for the i-th token of an observation, 0 elsewhere [2.2]
    patch_mask: Tensor  # (B, T) bool; True where the token is an image patch
    patches: Tensor  # (N, *config.patch_shape) float, N = patch_mask.sum(): patches, or whole images (CNN)
    patch_idx: Tensor  # (N,) long; raster index of each patch inside its image's grid
    vector_mask: Tensor | None = None  # (B, T) bool; True where the token is an observation vector; None: none is
    vectors: Tensor | None = None  # (M, max_vector_size) float, M = vector_mask.sum(); None with vector_mask

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.ids.shape)  # type: ignore[return-value]

    def _fields(self) -> tuple[Tensor | None, ...]:
        return (self.ids, self.local_pos, self.patch_mask, self.patches, self.patch_idx, self.vector_mask, self.vectors)

    def to(self, device: torch.device | str) -> TokenBatch:
        return TokenBatch(*(None if t is None else t.to(device) for t in self._fields()))

    def row(self, b: int) -> TokenBatch:
        """Sequence b alone, as a batch of one."""
        counts = self.patch_mask.sum(1)
        start = int(counts[:b].sum())
        end = start + int(counts[b])
        vector_mask = vectors = None
        if self.vector_mask is not None:
            per_row = self.vector_mask.sum(1)
            first = int(per_row[:b].sum())
            vector_mask, vectors = self.vector_mask[b : b + 1], self.vectors[first : first + int(per_row[b])]
        return TokenBatch(
            self.ids[b : b + 1],
            self.local_pos[b : b + 1],
            self.patch_mask[b : b + 1],
            self.patches[start:end],
            self.patch_idx[start:end],
            vector_mask,
            vectors,
        )

    def slice(self, start: int, end: int) -> TokenBatch:
        """Tokens [start, end) of a single-sequence batch."""
        assert self.ids.shape[0] == 1, "slice takes a batch of one sequence"
        before = int(self.patch_mask[0, :start].sum())
        inside = int(self.patch_mask[0, start:end].sum())
        vector_mask = vectors = None
        if self.vector_mask is not None:
            first = int(self.vector_mask[0, :start].sum())
            vector_mask = self.vector_mask[:, start:end]
            vectors = self.vectors[first : first + int(vector_mask.sum())]
        return TokenBatch(
            self.ids[:, start:end],
            self.local_pos[:, start:end],
            self.patch_mask[:, start:end],
            self.patches[before : before + inside],
            self.patch_idx[before : before + inside],
            vector_mask,
            vectors,
        )

    @staticmethod
    def join(parts: list[TokenBatch], dim: int) -> TokenBatch:
        """Concatenate along batch (dim 0, any lengths equal) or along time (dim 1, batches of one)."""
        if len(parts) == 1:
            return parts[0]
        vector_mask = vectors = None
        with_vectors = [p for p in parts if p.vector_mask is not None]
        if with_vectors:  # parts without vectors get an all-False mask
            vector_mask = torch.cat([p.patch_mask.new_zeros(p.patch_mask.shape) if p.vector_mask is None else p.vector_mask
                                     for p in parts], dim)
            vectors = torch.cat([p.vectors for p in with_vectors], 0)
        return TokenBatch(
            torch.cat([p.ids for p in parts], dim),
            torch.cat([p.local_pos for p in parts], dim),
            torch.cat([p.patch_mask for p in parts], dim),
            torch.cat([p.patches for p in parts], 0),
            torch.cat([p.patch_idx for p in parts], 0),
            vector_mask,
            vectors,
        )

    @staticmethod
    def cat(parts: list[TokenBatch]) -> TokenBatch:
        """Concatenate along time (every part has the same B)."""
        b = parts[0].ids.shape[0]
        if b == 1:
            return TokenBatch.join(parts, 1)
        return TokenBatch.join([TokenBatch.join([p.row(i) for p in parts], 1) for i in range(b)], 0)
