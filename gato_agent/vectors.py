"""Continuous observation vectors as one token each: the compact layout (`GatoConfig.vector_encoding`).

Three encodings, switched by `GatoConfig.vector_encoding`; this is the one module that reads it:
- "tokens" (the paper's, every preset's): one token per float, mu-law companded and binned into
  1024 bins [2.1, App. B]; a Meta-World observation of 39 floats is 39 tokens;
- "linear": each continuous observation vector (a float Box leaf, flattened) is ONE token: its floats
  companded as the paper does before binning [App. B], at the bins' resolution, zero-padded to
  `max_vector_size`, through a learned linear layer to the model width. This is how JAT encodes
  continuous observations (not the paper's; see docs/design.md);
- "mlp": the same token, with a residual branch beside the linear layer (two layers of width
  `vector_hidden`, GELU between), its output layer zero at the start: a new "mlp" model, or one
  initialised from a "linear" checkpoint, starts as exactly the linear encoder and learns the rest.

Either way the stored data are the same: the observation codec (gato_agent.spaces) makes one bin id
per float, and an episode keeps those ids. The "linear" layout reads the vector back from them
(`vector_input`), so a dataset tokenized once serves both layouts. gato_agent.timestep lays the one
slot out; the model embeds it with `VectorEncoder` (its weights are `Gato.vectors.*`; a model with
the "tokens" layout has none).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gato_agent.config import GatoConfig
from gato_agent.tokenizer import bins_to_continuous, mu_law_decode

__all__ = ["is_compact", "VectorEncoder", "build_vector_encoder", "vector_input"]


def is_compact(config: GatoConfig) -> bool:
    """True when a continuous observation vector is one token ("linear" or "mlp"), False for the
    paper's one token per float ("tokens")."""
    return config.vector_encoding in ("linear", "mlp")


def vector_input(ids: Tensor, valid: Tensor, config: GatoConfig) -> Tensor:
    """Continuous bin ids of vectors (..., V) (`valid` (V,) or (..., V) marks the floats; the rest is
    padding) -> what the encoder reads, (..., V) float32: each float's mu-law companded value [App. B]
    at its bin's centre, in [-1, 1]; 0 where padding. V = config.max_vector_size."""
    centres = bins_to_continuous((ids - config.continuous_offset).clamp(0, config.continuous_bins - 1), config.continuous_bins)
    if config.vector_values == "decoded":
        centres = mu_law_decode(centres).clamp(-10.0, 10.0)
    return torch.where(valid, centres, 0.0).float()


class VectorEncoder(nn.Module):
    """A continuous observation vector, companded and zero-padded to `max_vector_size` floats,
    -> one embedding through a linear layer (JAT's encoding of continuous observations), plus with
    "mlp" a residual two-layer branch (`inner`, GELU, `outer`)."""

    def __init__(self, config: GatoConfig):
        super().__init__()
        self.proj = nn.Linear(config.max_vector_size, config.embed_dim)
        mlp = config.vector_encoding == "mlp"
        self.inner = nn.Linear(config.max_vector_size, config.vector_hidden) if mlp else None
        self.outer = nn.Linear(config.vector_hidden, config.embed_dim) if mlp else None

    def init_weights(self, init: Callable[[nn.Module], None]) -> None:
        """Every layer by `init` (the model's), then the residual branch's output layer zero, so that
        an "mlp" encoder starts as the linear one."""
        self.apply(init)
        if self.outer is not None:
            nn.init.zeros_(self.outer.weight)
            nn.init.zeros_(self.outer.bias)

    def forward(self, vectors: Tensor) -> Tensor:
        """vectors (N, max_vector_size) -> (N, D)."""
        out = self.proj(vectors)
        if self.inner is not None:
            out = out + self.outer(F.gelu(self.inner(vectors)))
        return out


def build_vector_encoder(config: GatoConfig) -> VectorEncoder | None:
    """The encoder of the compact layouts ("linear", "mlp"); None for "tokens" (its floats are ids of
    the token table)."""
    return VectorEncoder(config) if is_compact(config) else None
