"""Gymnasium spaces <-> Gato tokens: the observation and action codecs of one task.

An observation becomes one timestep's observation tokens [2.1]: image patches first, then every
other value in row-major order; Dict entries by sorted key, Tuple entries in order. An action
becomes one token per dimension, and back; decoding always lands inside the action space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor

from gato_agent.config import GatoConfig
from gato_agent.tokenizer import (
    TokenBatch,
    continuous_to_tokens,
    discrete_to_tokens,
    patchify,
    resize_images,
    stack_frames,
    tokens_to_continuous,
)

__all__ = ["ObservationCodec", "ActionCodec", "slice_time", "is_image_space", "SUPPORTED_OBSERVATION_SPACES", "SUPPORTED_ACTION_SPACES"]

SUPPORTED_OBSERVATION_SPACES = (
    "Box (uint8 HxW or HxWxC images with C in {1, 3}; any other Box as continuous values, infinite bounds included), "
    "Discrete, MultiDiscrete, MultiBinary, and Dict/Tuple nests of them"
)
SUPPORTED_ACTION_SPACES = "Discrete, MultiDiscrete, Box (finite bounds)"


@dataclass(frozen=True)
class _Leaf:
    keys: tuple  # the Dict keys / Tuple indices that lead from the observation to this leaf
    space: spaces.Space
    kind: str  # "image", "continuous" or "discrete"
    num_tokens: int  # tokens this leaf contributes per timestep

    @property
    def path(self) -> str:
        """Where the leaf sits, e.g. "obs['camera'][1]"; used in error messages."""
        return "obs" + "".join(f"[{k!r}]" for k in self.keys)


def is_image_space(space: spaces.Space) -> bool:
    """True for the spaces Gato reads as images: uint8 Boxes of shape (H, W) or (H, W, 1 or 3)."""
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and (
        len(space.shape) == 2 or (len(space.shape) == 3 and space.shape[-1] in (1, 3))
    )


def _leaves(space: spaces.Space, keys: tuple, config: GatoConfig) -> list[_Leaf]:
    if isinstance(space, spaces.Dict):
        return [leaf for key in sorted(space.spaces) for leaf in _leaves(space.spaces[key], (*keys, key), config)]
    if isinstance(space, spaces.Tuple):
        return [leaf for i, sub in enumerate(space.spaces) for leaf in _leaves(sub, (*keys, i), config)]
    if isinstance(space, spaces.Box):
        if is_image_space(space):
            return [_Leaf(keys, space, "image", config.patches_per_image)]
        return [_Leaf(keys, space, "continuous", int(np.prod(space.shape, dtype=np.int64)))]
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)):
        leaf = _Leaf(keys, space, "discrete", int(_discrete_size(space).size))
        _check_discrete_range(leaf.path, int(_discrete_size(space).max()), config)
        return [leaf]
    path = "obs" + "".join(f"[{k!r}]" for k in keys)
    raise TypeError(f"unsupported observation space at {path}: {space}; supported: {SUPPORTED_OBSERVATION_SPACES}")


def _check_discrete_range(path: str, n: int, config: GatoConfig) -> None:
    if n > config.discrete_values:
        raise ValueError(
            f"{path} has {n} discrete values but Gato tokenizes discrete values as ids [0, {config.discrete_values}) [2.1]"
        )


class ObservationCodec:
    """Tokenizes batches of observations of one observation space.

    The layout of a timestep's tokens is fixed by the space, so the static parts (local positions,
    which tokens are patches) are computed once here.
    """

    def __init__(self, space: spaces.Space, config: GatoConfig):
        self.space = space
        self.config = config
        leaves = _leaves(space, (), config)
        self.leaves = [leaf for leaf in leaves if leaf.kind == "image"] + [leaf for leaf in leaves if leaf.kind != "image"]
        self.num_images = sum(leaf.kind == "image" for leaf in self.leaves)
        self.num_patches = self.num_images * config.patches_per_image
        self.num_tokens = sum(leaf.num_tokens for leaf in self.leaves)
        if self.num_tokens > config.max_observation_tokens:
            raise ValueError(
                f"observation space {space} gives {self.num_tokens} tokens per timestep, more than the model's "
                f"max_observation_tokens={config.max_observation_tokens}"
            )
        self.local_pos = torch.arange(1, self.num_tokens + 1)  # (n_obs,) [2.2]
        self.patch_mask = torch.arange(self.num_tokens) < self.num_patches  # (n_obs,)
        self.patch_idx = torch.arange(config.patches_per_image).repeat(self.num_images)  # (num_patches,)

    def is_batched(self, obs: Any) -> bool:
        """True when `obs` carries a leading batch dimension (as from a VectorEnv)."""
        leaf = self.leaves[0]
        value = np.asarray(_get(obs, leaf))
        return value.ndim == len(_leaf_shape(leaf.space)) + 1

    def tokenize(self, obs: Any, batch: int) -> tuple[Tensor, Tensor]:
        """A batch of `batch` observations (leading dim) -> ids (batch, num_tokens) long, and the
        frames resized to the model's size, uint8 (batch, num_images, C, H, W), not yet stacked
        (see `stack`); patch slots in ids are 0.

        Raises ValueError naming the leaf when a shape, dtype or value does not fit the space.
        """
        c = self.config
        ids = torch.zeros(batch, self.num_tokens, dtype=torch.long)
        frames = []
        start = self.num_patches
        for leaf in self.leaves:
            value = _checked_leaf(obs, leaf, batch)
            if leaf.kind == "image":
                frames.append(resize_images(torch.from_numpy(value), c.image_height, c.image_width, c.image_channels))
                continue
            flat = torch.from_numpy(value.reshape(batch, -1))  # (B, n) row-major
            if leaf.kind == "continuous":
                tokens = continuous_to_tokens(flat, c.continuous_offset, c.continuous_bins, True, c.mu_law_mu, c.mu_law_m)
            else:
                low = torch.from_numpy(_discrete_start(leaf.space).reshape(1, -1))
                tokens = discrete_to_tokens(flat.long() - low, c.discrete_values)
            ids[:, start : start + leaf.num_tokens] = tokens
            start += leaf.num_tokens
        shape = (batch, self.num_images, c.image_channels, c.image_height, c.image_width)
        images = torch.stack(frames, 1) if frames else torch.zeros(shape, dtype=torch.uint8)
        return ids, images

    def encode(self, obs: Any, batch: int) -> TokenBatch:
        """A batch of observations, each the first of its episode -> the TokenBatch (batch, num_tokens)
        of one timestep (with frame stacking, each frame fills its whole stack, as at a reset)."""
        ids, frames = self.tokenize(obs, batch)
        return self.tokens(ids, self.stack(frames[None], 0, 1)[0])

    def encode_sequence(self, obs: Any, steps: int) -> TokenBatch:
        """`steps` consecutive observations of one episode (leading time dim) -> TokenBatch (steps,
        num_tokens), frames stacked along time [see `stack`]."""
        ids, frames = self.tokenize(obs, steps)
        return self.tokens(ids, self.stack(frames, 0, steps))

    def stack(self, frames: Tensor, t0: int, t1: int) -> Tensor:
        """Frames of one episode (T, ..., C, H, W) -> the stacked images of steps [t0, t1),
        (t1 - t0, ..., frame_stack * C, H, W): each step sees its last `frame_stack` frames."""
        return stack_frames(frames, t0, t1, self.config.frame_stack)

    def tokens(self, ids: Tensor, images: Tensor) -> TokenBatch:
        """ids (B, num_tokens) from `tokenize` and stacked images (B, num_images, patch_channels, H, W)
        -> the TokenBatch (B, num_tokens) of one timestep each."""
        batch = ids.shape[0]
        return TokenBatch(
            ids,
            self.local_pos.expand(batch, -1),
            self.patch_mask.expand(batch, -1),
            self.patches(images),
            self.patch_idx.repeat(batch),
        )

    def patches(self, images: Tensor) -> Tensor:
        """uint8 stacked images (..., patch_channels, H, W) -> patches (N, patch_channels, p, p) in token order."""
        c, p = self.config.patch_channels, self.config.patch_size
        flat = images.reshape(-1, *images.shape[-3:])
        if not flat.shape[0]:
            return torch.zeros(0, c, p, p)
        return patchify(flat, p).reshape(-1, c, p, p)


def slice_time(obs: Any, steps: int) -> Any:
    """The first `steps` entries along time of a (possibly Dict/Tuple nested) observation sequence."""
    if isinstance(obs, dict):
        return {k: slice_time(v, steps) for k, v in obs.items()}
    if isinstance(obs, tuple):
        return tuple(slice_time(v, steps) for v in obs)
    value = np.asarray(obs)
    if len(value) < steps:
        raise ValueError(f"{steps} actions need at least {steps} observations, got {len(value)}")
    return value[:steps]


class ActionCodec:
    """One token per action dimension; `ranges[d]` are the legal ids [lo, hi) of dimension d."""

    def __init__(self, space: spaces.Space, config: GatoConfig):
        self.space = space
        self.config = config
        if isinstance(space, spaces.Discrete):
            _check_discrete_range("action", int(space.n), config)
            self.ranges = [(0, int(space.n))]
        elif isinstance(space, spaces.MultiDiscrete):
            _check_discrete_range("action", int(space.nvec.max()), config)
            self.ranges = [(0, int(n)) for n in space.nvec.reshape(-1)]
        elif isinstance(space, spaces.Box):
            if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
                raise ValueError(f"Box action spaces need finite bounds to map bins back to actions, got {space}")
            lo = config.continuous_offset
            self.ranges = [(lo, lo + config.continuous_bins)] * int(np.prod(space.shape, dtype=np.int64))
            self._low = torch.from_numpy(space.low.astype(np.float64).reshape(-1))
            self._high = torch.from_numpy(space.high.astype(np.float64).reshape(-1))
        else:
            raise TypeError(f"unsupported action space {space}; supported: {SUPPORTED_ACTION_SPACES}")
        self.num_tokens = len(self.ranges)

    def encode(self, actions: Any, batch: int) -> Tensor:
        """Actions with a leading batch dim -> ids (batch, num_tokens)."""
        a = np.asarray(actions).reshape(batch, -1)
        if isinstance(self.space, spaces.Box):
            x = torch.from_numpy(a.astype(np.float64))
            x = 2.0 * (x - self._low) / (self._high - self._low) - 1.0  # bounds -> [-1, 1]
            return continuous_to_tokens(x, self.config.continuous_offset, self.config.continuous_bins, mu_law=False)
        start = torch.from_numpy(_discrete_start(self.space).reshape(1, -1))
        return discrete_to_tokens(torch.from_numpy(a.astype(np.int64)) - start, self.config.discrete_values)

    def decode(self, ids: Tensor) -> np.ndarray:
        """ids (batch, num_tokens) -> actions (batch, *space.shape), always inside the space."""
        batch = ids.shape[0]
        if isinstance(self.space, spaces.Box):
            x = tokens_to_continuous(ids, self.config.continuous_offset, self.config.continuous_bins, mu_law=False)
            x = self._low + (x + 1.0) * 0.5 * (self._high - self._low)  # [-1, 1] -> bounds
            a = x.numpy().reshape(batch, *self.space.shape)
            return np.clip(a, self.space.low, self.space.high).astype(self.space.dtype)
        a = ids.numpy().astype(np.int64) + _discrete_start(self.space).reshape(1, -1)
        return a.reshape(batch, *self.space.shape).astype(self.space.dtype)


def _discrete_start(space: spaces.Space) -> np.ndarray:
    if isinstance(space, spaces.MultiBinary):
        return np.zeros(int(np.prod(space.shape)), dtype=np.int64)
    return np.asarray(getattr(space, "start", 0), dtype=np.int64).reshape(-1)


def _leaf_shape(space: spaces.Space) -> tuple[int, ...]:
    return tuple(space.shape) if space.shape is not None else ()


def _get(obs: Any, leaf: _Leaf) -> Any:
    """Follow a leaf's keys into a nested observation."""
    value = obs
    for key in leaf.keys:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError) as e:
            raise ValueError(f"observation has no entry {leaf.path}: {e!r}") from None
    return value


def _checked_leaf(obs: Any, leaf: _Leaf, batch: int) -> np.ndarray:
    value = np.asarray(_get(obs, leaf))
    expected = (batch, *_leaf_shape(leaf.space))
    if value.shape != expected:
        raise ValueError(
            f"{leaf.path} has shape {value.shape} but the space {leaf.space} expects {expected[1:]}"
            + (f" (batched: {expected})" if batch > 1 else "")
        )
    if leaf.kind == "image":
        if value.dtype != np.uint8:
            raise ValueError(f"{leaf.path} has dtype {value.dtype} but the image space {leaf.space} expects uint8")
        return value
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{leaf.path} has dtype {value.dtype}; {leaf.space} expects numbers")
    if leaf.kind == "discrete" and value.dtype.kind == "f":
        raise ValueError(f"{leaf.path} has dtype {value.dtype} but {leaf.space} expects integers")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(value))[0].tolist()
        raise ValueError(f"{leaf.path} holds a non-finite value {value[tuple(bad)]} at index {bad}; observations must be finite")
    if leaf.kind == "discrete":
        low = _discrete_start(leaf.space).reshape(1, -1)
        high = low + _discrete_size(leaf.space).reshape(1, -1)
        flat = value.reshape(batch, -1)
        if np.any(flat < low) or np.any(flat >= high):
            raise ValueError(f"{leaf.path} holds values outside {leaf.space}: {flat.tolist()}")
    return value


def _discrete_size(space: spaces.Space) -> np.ndarray:
    if isinstance(space, spaces.Discrete):
        return np.asarray([int(space.n)])
    if isinstance(space, spaces.MultiDiscrete):
        return space.nvec.reshape(-1).astype(np.int64)
    return np.full(int(np.prod(space.shape)), 2, dtype=np.int64)
