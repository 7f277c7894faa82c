"""The Gato network: embeddings [2.2] and a decoder-only transformer [C.1].

Global token order uses rotary positions (RoPE). The paper does not say how Gato encodes global
order; rotary positions depend only on the distance between tokens, which is what lets the KV cache
slide over an episode longer than the context without two tokens ever sharing a position.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gato_agent.config import GatoConfig
from gato_agent.images import FrameCNN, build_image_encoder
from gato_agent.kv_cache import KVCache
from gato_agent.tokenizer import TokenBatch
from gato_agent.vectors import build_vector_encoder

__all__ = ["Gato", "SHARED_WINDOW", "num_parameters"]

SHARED_WINDOW = -1  # the window id of a row's prompt, which every window of the row sees (gato_agent.data)


def rotary(positions: Tensor, head_dim: int, base: float) -> tuple[Tensor, Tensor]:
    """cos, sin (B, 1, T, head_dim / 2) for absolute positions (B, T); angles in float64 so that
    positions in the millions keep their precision."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64, device=positions.device) / head_dim)
    angles = positions.to(torch.float64)[:, None, :, None] * inv_freq  # (B, 1, T, Dh/2)
    return angles.cos().float(), angles.sin().float()


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate (..., B, H, T, Dh) by position (cos, sin (B, 1, T, Dh / 2)); halves-split convention."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).type_as(x)


class Attention(nn.Module):
    def __init__(self, config: GatoConfig):
        super().__init__()
        self.num_heads = config.num_heads
        self.head_dim = config.head_dim
        self.qkv = nn.Linear(config.embed_dim, 3 * config.embed_dim, bias=False)
        self.out = nn.Linear(config.embed_dim, config.embed_dim, bias=False)
        self.dropout = config.dropout

    def forward(
        self,
        x: Tensor,
        rope: tuple[Tensor, Tensor],
        mask: Tensor | None,
        cache: KVCache | None = None,
        layer: int = 0,
        slots: Tensor | None = None,
        span: int | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """x (B, T, D) -> (B, T, D). Without cache: causal over x (mask None) or under `mask`;
        with cache: writes k, v at `slots` and attends over the cache's slots [0, span) (default all)
        under `mask` (B, 1, T, S). last_only (with cache): every token's k, v are written, but only
        the last token queries: -> (B, 1, D)."""
        b, t, d = x.shape
        qkv = self.qkv(x).view(b, t, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)  # (3, B, H, T, Dh)
        q, k = apply_rotary(qkv[:2], *rope)  # q and k rotated in one pass: 2 x (B, H, T, Dh)
        v = qkv[2]
        if cache is not None:
            k, v = cache.write(layer, k, v, slots, span)  # (B, H, S, Dh)
        if last_only:
            q, mask, t = q[:, :, -1:], mask[:, :, -1:], 1  # (B, H, 1, Dh), (B, 1, 1, S)
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout, is_causal=mask is None)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-LayerNorm transformer block: attention, then a GELU feed-forward layer."""

    def __init__(self, config: GatoConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.attn = Attention(config)
        self.ln2 = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.ff_in = nn.Linear(config.embed_dim, config.ff_dim, bias=False)
        self.ff_out = nn.Linear(config.ff_dim, config.embed_dim, bias=False)
        self.drop = nn.Dropout(config.dropout)

    def forward(
        self,
        x: Tensor,
        rope: tuple[Tensor, Tensor],
        mask: Tensor | None,
        cache: KVCache | None = None,
        layer: int = 0,
        slots: Tensor | None = None,
        span: int | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """x (B, T, D) -> (B, T, D), or (B, 1, D) for the last token alone when `last_only`; the
        arguments after x as in `Attention.forward`."""
        h = self.attn(self.ln1(x), rope, mask, cache, layer, slots, span, last_only)
        x = (x[:, -1:] if last_only else x) + self.drop(h)
        return x + self.drop(self.ff_out(F.gelu(self.ff_in(self.ln2(x)))))


class Gato(nn.Module):
    """Gato: one token table, an image encoder, local observation positions, a causal decoder (and
    with a compact vector layout, an encoder of observation vectors).

    The output head is tied to the token table; `logits` computes scores only for the positions
    and the id range asked for (e.g. the 1024 continuous bins of one action dimension). With
    continuous_actions "regression", `action_values` reads continuous actions off a linear head instead.
    """

    def __init__(self, config: GatoConfig):
        super().__init__()
        self.config = config
        self.tokens = nn.Embedding(config.vocab_size, config.embed_dim)  # the one lookup table [2.2]
        self.images = build_image_encoder(config)  # patches [2.2] or a frame CNN (gato_agent.images)
        # local observation positions [2.2]; index 0 (not an observation token) stays zero
        self.local_pos = nn.Embedding(config.max_observation_tokens + 1, config.embed_dim, padding_idx=0)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.num_layers))
        self.ln_f = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.apply(self._init_weights)
        # with vector_encoding "linear" or "mlp": observation vectors, one token each (gato_agent.vectors);
        # made last, so that a "tokens" model draws the same initial weights as before the switch
        self.vectors = build_vector_encoder(config)
        if self.vectors is not None:
            self.vectors.init_weights(self._init_weights)
        # with continuous_actions "regression": each continuous action value read off the hidden state
        # that precedes its token (JAT's head, not the paper's); made last for the same reason
        self.action_head = nn.Linear(config.embed_dim, 1) if config.continuous_actions == "regression" else None
        if self.action_head is not None:
            self.action_head.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def add_image_trunk(self, weights: dict[str, Tensor]) -> int:
        """One more CNN trunk, its convolutions `weights` and its projection zero (`FrameCNN.add_trunk`),
        and `config.cnn_trunks` counts it: the model acts exactly as before; -> the trunk's index.
        ValueError for a patch encoder, or weights that do not fit."""
        if not isinstance(self.images, FrameCNN):
            raise ValueError("only a CNN image encoder has trunks; this model's encodes patches")
        index = self.images.add_trunk(weights)
        self.config = dataclasses.replace(self.config, cnn_trunks=len(self.images.trunks))
        return index

    def embed(self, tokens: TokenBatch) -> Tensor:
        """TokenBatch (B, T) -> embeddings (B, T, D)."""
        x = self.tokens(tokens.ids)  # (B, T, D)
        if tokens.patches.shape[0]:
            # patches fill the masked tokens in (b, t) order; unlike indexing with a bool mask,
            # masked_scatter needs no count of the mask on the host (no device sync on a GPU)
            x = x.masked_scatter(tokens.patch_mask[..., None], self.images(tokens.patches, tokens.patch_idx))
        if tokens.vectors is not None:
            if self.vectors is None:
                raise ValueError("these tokens hold observation vectors (vector_encoding 'linear' or 'mlp') but the model's "
                                 f"vector_encoding is {self.config.vector_encoding!r}")
            x = x.masked_scatter(tokens.vector_mask[..., None], self.vectors(tokens.vectors).to(x.dtype))
        return x + self.local_pos(tokens.local_pos)

    def forward(self, tokens: TokenBatch, positions: Tensor | None = None, window: int | None = None,
                windows: Tensor | None = None) -> Tensor:
        """Full causal pass (training, or recomputing a context) -> final hidden states (B, T, D).

        positions: (B, T) absolute positions, default 0..T-1; window: attend only to the last
        `window` tokens (sliding-window attention), default the whole sequence; windows: (B, T) long,
        a token attends only to the tokens of its own window id and of SHARED_WINDOW (sequences that
        pack several windows after one prompt: gato_agent.data), default one window a row.
        """
        b, t = tokens.shape
        if positions is None:
            positions = torch.arange(t, device=tokens.ids.device).expand(b, t)
        mask = None
        if (window is not None and window < t) or windows is not None:
            i = torch.arange(t, device=tokens.ids.device)
            mask = i[None, :] <= i[:, None]  # (T, T)
            if window is not None:
                mask = mask & (i[None, :] > i[:, None] - window)
            if windows is not None:
                seen = (windows[:, :, None] == windows[:, None, :]) | (windows[:, None, :] == SHARED_WINDOW)  # (B, T, T)
                mask = (mask & seen)[:, None]  # (B, 1, T, T)
        rope = rotary(positions, self.config.head_dim, self.config.rope_base)
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, rope, mask)
        return self.ln_f(x)

    def forward_cached(
        self, tokens: TokenBatch, cache: KVCache, valid: Tensor | None = None, last_only: bool = False
    ) -> Tensor:
        """Run new tokens (B, T) through the model, appending them to `cache`; -> hidden (B, T, D).

        Prefill and decode are the same call (decode is T = 1; `decode` is its static-shape form).
        `valid` (B, T) marks padding (False) in rows that have fewer new tokens than others. Without
        padding, attention covers only the filled slots of the cache (`KVCache.reserve`).
        last_only: return the last token's hidden state alone, (B, 1, D) (it must be valid in every
        row); the last layer then skips attention and feed-forward for the others, whose keys and
        values (all a cache needs) come from the layer's input.
        """
        span = cache.reserve(tokens.shape[1])
        if valid is None:
            valid = torch.ones(tokens.shape, dtype=torch.bool, device=tokens.ids.device)
        else:
            span = None  # padding queries see the trash slot, at the end of the buffer
        positions, slots, mask = cache.plan(valid, span)
        rope = rotary(positions, self.config.head_dim, self.config.rope_base)
        x = self.embed(tokens)
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            x = block(x, rope, mask, cache, i, slots, span, last_only and i == last)
        return self.ln_f(x)

    def decode(self, ids: Tensor, cache: KVCache, span: int | None = None) -> Tensor:
        """Append one non-observation token per row (e.g. an action): ids (B,) -> final hidden (B, D).

        The caller must first `cache.reserve(1)`; span: attend over slots [0, span) only (what
        `reserve` returned), None: over the whole buffer. With span None every shape is fixed by the
        cache, so this is the step to give `torch.compile` (it never reads the host-side `reserve` state).
        """
        valid = torch.ones_like(ids, dtype=torch.bool)[:, None]  # (B, 1)
        positions, slots, mask = cache.plan(valid, span)
        rope = rotary(positions, self.config.head_dim, self.config.rope_base)
        x = self.tokens(ids)[:, None]  # (B, 1, D); local position 0 embeds to zero
        for i, block in enumerate(self.blocks):
            x = block(x, rope, mask, cache, i, slots, span)
        return self.ln_f(x)[:, 0]

    def logits(self, hidden: Tensor, lo: int = 0, hi: int | None = None) -> Tensor:
        """Scores of ids [lo, hi) only: hidden (..., D) -> (..., hi - lo), via the tied token table."""
        return hidden @ self.tokens.weight[lo:hi].T

    def action_values(self, hidden: Tensor) -> Tensor:
        """Continuous action values on the [-1, 1] scale of the bins, hidden (..., D) -> (...,): the
        regression head's reading (unbounded; the caller clips). ValueError for a "bins" model."""
        if self.action_head is None:
            raise ValueError("this model predicts continuous actions as bins (continuous_actions 'bins'); "
                             "action_values needs continuous_actions 'regression'")
        return self.action_head(hidden)[..., 0]

    def new_cache(self, batch: int, chunk: int, window: int | None = None) -> KVCache:
        """A KV cache for `batch` streams, sliding over `window` tokens (default: the context length)."""
        p = next(self.parameters())
        return KVCache(
            self.config.num_layers, batch, self.config.num_heads, self.config.head_dim,
            window or self.config.context_length, chunk, dtype=p.dtype, device=p.device,
        )


def num_parameters(config: GatoConfig) -> int:
    """Exact parameter count of `Gato(config)`, counted on the meta device (nothing is allocated)."""
    with torch.device("meta"):
        model = Gato(config)
    return sum(p.numel() for p in model.parameters())
