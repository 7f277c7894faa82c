"""Gymnasium spaces <-> Gato tokens: the observation and action codecs of one task.

An observation becomes one timestep's observation tokens [2.1]: text first, then image patches,
then every other value in row-major order; Dict entries by sorted key, Tuple entries in order. An
action becomes one token per dimension, and back; decoding always lands inside the action space.

What a leaf becomes:

- text (`spaces.Text` and its subclasses, or any space of `str`, such as minigrid's MissionSpace):
  SentencePiece ids (`gato_agent.text`) in [0, text_vocab_size), a fixed slot of
  min(max_length + 1, config.max_text_tokens) tokens padded with id 0; longer text is cut, with a
  warning the first time;
- an image (`is_image_space`): a uint8 Box of H x W or H x W x C (C in {1, 3}) with H and W at least 16,
  the size of one patch [2.1]: resized to the model's size and cut into patches;
- discrete values, the integers themselves in [0, 1024) [2.1]: Discrete, MultiDiscrete,
  MultiBinary, and any other uint8 Box (categories such as a symbolic grid: a frame smaller than a
  patch carries no picture). A task family that knows better declares its categories as
  MultiDiscrete (BabyAI's 7x7 grid, one category a cell: `envs.babyai`);
- continuous values (mu-law, binned): every other Box.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from torch import Tensor

from gato_agent.config import GatoConfig
from gato_agent.text import PAD_ID, TextTokenizer, default_text_tokenizer
from gato_agent.images import resize_images, tokens_per_image
from gato_agent.tokenizer import continuous_to_tokens, discrete_to_tokens, tokens_to_continuous

__all__ = [
    "ObservationCodec",
    "ActionCodec",
    "slice_time",
    "is_image_space",
    "has_text",
    "MIN_IMAGE_SIZE",
    "SUPPORTED_OBSERVATION_SPACES",
    "SUPPORTED_ACTION_SPACES",
]

MIN_IMAGE_SIZE = 16  # an image must hold at least one 16x16 patch [2.1]; smaller uint8 Boxes are categories

SUPPORTED_OBSERVATION_SPACES = (
    "Text (SentencePiece text tokens, first in the timestep), "
    "Box (uint8 HxW or HxWxC images with C in {1, 3} of at least 16x16 pixels; smaller uint8 Boxes as discrete "
    "values; any other Box as continuous values, infinite bounds included), "
    "Discrete, MultiDiscrete, MultiBinary, and Dict/Tuple nests of them"
)
SUPPORTED_ACTION_SPACES = "Discrete, MultiDiscrete, Box (finite bounds)"


@dataclass(frozen=True)
class _Leaf:
    keys: tuple  # the Dict keys / Tuple indices that lead from the observation to this leaf
    space: spaces.Space
    kind: str  # "text", "image", "continuous" or "discrete"
    num_tokens: int  # tokens this leaf contributes per timestep

    @property
    def path(self) -> str:
        """Where the leaf sits, e.g. "obs['camera'][1]"; used in error messages."""
        return "obs" + "".join(f"[{k!r}]" for k in self.keys)


def is_image_space(space: spaces.Space) -> bool:
    """True for the spaces that become image patches: a uint8 Box of H x W or H x W x C, C in {1, 3},
    with H and W at least MIN_IMAGE_SIZE (one patch) [2.1]. Any other uint8 Box holds categories."""
    if not isinstance(space, spaces.Box) or space.dtype != np.uint8:
        return False
    shape = space.shape
    frame = len(shape) == 2 or (len(shape) == 3 and shape[-1] in (1, 3))
    return frame and min(shape[:2]) >= MIN_IMAGE_SIZE


def _is_text(space: spaces.Space) -> bool:
    """Text spaces, and spaces of str that are not Text (minigrid's MissionSpace)."""
    return isinstance(space, spaces.Text) or (space.dtype is not None and space.dtype.kind == "U")


def has_text(space: spaces.Space) -> bool:
    """True when a text leaf sits anywhere in `space` (its tokens need a text tokenizer)."""
    if isinstance(space, spaces.Dict):
        return any(has_text(sub) for sub in space.spaces.values())
    if isinstance(space, spaces.Tuple):
        return any(has_text(sub) for sub in space.spaces)
    return _is_text(space)


def _text_tokens(space: spaces.Space, config: GatoConfig) -> int:
    """The fixed length of a text leaf's slot: a tokenizer piece holds at least one character, plus
    SentencePiece's leading word-boundary piece."""
    if isinstance(space, spaces.Text):
        return max(1, min(space.max_length + 1, config.max_text_tokens))
    return config.max_text_tokens


def _leaves(space: spaces.Space, keys: tuple, config: GatoConfig) -> list[_Leaf]:
    if isinstance(space, spaces.Dict):
        return [leaf for key in sorted(space.spaces) for leaf in _leaves(space.spaces[key], (*keys, key), config)]
    if isinstance(space, spaces.Tuple):
        return [leaf for i, sub in enumerate(space.spaces) for leaf in _leaves(sub, (*keys, i), config)]
    if _is_text(space):
        return [_Leaf(keys, space, "text", _text_tokens(space, config))]
    if isinstance(space, spaces.Box):
        if is_image_space(space):
            return [_Leaf(keys, space, "image", tokens_per_image(config))]
        if space.dtype == np.uint8:
            leaf = _Leaf(keys, space, "discrete", int(np.prod(space.shape, dtype=np.int64)))
            _check_discrete_range(leaf.path, int(_discrete_size(space).max()), config)
            return [leaf]
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

    Which observation tokens a space gives, in order, is fixed here: text leaves first, then images,
    then the rest [2.1] (`num_text`, `num_patches`, `num_tokens`); gato_agent.timestep lays them out
    with the separator and the actions.

    Args:
        space: the observation space of one env.
        config: the model's config (token layout, image size, text slot length).
        text_tokenizer: the tokenizer of text leaves; default: the one shipped in the package
            (a checkpoint stores the one it was trained with).
    """

    def __init__(self, space: spaces.Space, config: GatoConfig, text_tokenizer: TextTokenizer | None = None):
        self.space = space
        self.config = config
        leaves = _leaves(space, (), config)
        order = {"text": 0, "image": 1}
        self.leaves = sorted(leaves, key=lambda leaf: order.get(leaf.kind, 2))  # stable: keys stay sorted
        self.text_tokenizer = None
        if any(leaf.kind == "text" for leaf in self.leaves):
            self.text_tokenizer = text_tokenizer or default_text_tokenizer()
            if self.text_tokenizer.vocab_size > config.text_vocab_size:
                raise ValueError(
                    f"the text tokenizer has {self.text_tokenizer.vocab_size} ids but the model's text range is "
                    f"[0, {config.text_vocab_size}) (text_vocab_size) [2.1]"
                )
        self._warned_cut: set[str] = set()
        self.num_text = sum(leaf.num_tokens for leaf in self.leaves if leaf.kind == "text")
        self.num_images = sum(leaf.kind == "image" for leaf in self.leaves)
        self.num_patches = self.num_images * tokens_per_image(config)
        self.num_tokens = sum(leaf.num_tokens for leaf in self.leaves)
        if self.num_tokens > config.max_observation_tokens:
            raise ValueError(
                f"observation space {space} gives {self.num_tokens} tokens per timestep, more than the model's "
                f"max_observation_tokens={config.max_observation_tokens}"
            )

    def is_batched(self, obs: Any) -> bool:
        """True when `obs` carries a leading batch dimension (as from a VectorEnv)."""
        leaf = self.leaves[0]
        value = np.asarray(_get(obs, leaf))
        return value.ndim == len(_leaf_shape(leaf.space)) + 1

    def tokenize(self, obs: Any, batch: int) -> tuple[Tensor, Tensor]:
        """A batch of `batch` observations (leading dim) -> ids (batch, num_tokens) long, and the
        frames resized to the model's size, uint8 (batch, num_images, C, H, W), not yet stacked
        (gato_agent.timestep stacks them and lays out the timestep); image slots in ids are 0.

        Raises ValueError naming the leaf when a shape, dtype or value does not fit the space.
        """
        c = self.config
        ids = torch.zeros(batch, self.num_tokens, dtype=torch.long)
        frames = []
        start = 0
        for leaf in self.leaves:
            value = _checked_leaf(obs, leaf, batch)
            if leaf.kind == "text":
                ids[:, start : start + leaf.num_tokens] = self._text_ids(value, leaf)
                start += leaf.num_tokens
                continue
            if leaf.kind == "image":
                start += leaf.num_tokens
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

    def _text_ids(self, texts: list[str], leaf: _Leaf) -> Tensor:
        """A batch of texts -> ids (batch, leaf.num_tokens), padded with PAD_ID; longer text is cut
        (warned once per leaf)."""
        out = torch.full((len(texts), leaf.num_tokens), PAD_ID, dtype=torch.long)
        for row, pieces in enumerate(self.text_tokenizer.encode(texts)):
            if len(pieces) > leaf.num_tokens and leaf.path not in self._warned_cut:
                self._warned_cut.add(leaf.path)
                warnings.warn(
                    f"{leaf.path}: text of {len(pieces)} tokens cut to the {leaf.num_tokens} of its slot "
                    f"({texts[row][:60]!r}); raise GatoConfig.max_text_tokens to keep it (warned once)",
                    stacklevel=3,
                )
            pieces = pieces[: leaf.num_tokens]
            out[row, : len(pieces)] = torch.tensor(pieces, dtype=torch.long)
        return out

    def decode_text(self, ids: Tensor) -> list[str]:
        """The observation ids (num_tokens,) of one timestep -> the text of each text leaf, in order."""
        texts, start = [], 0
        for leaf in self.leaves:
            if leaf.kind != "text":
                break
            texts.append(self.text_tokenizer.decode(ids[start : start + leaf.num_tokens].tolist()))
            start += leaf.num_tokens
        return texts


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
    if isinstance(space, spaces.Box):  # a uint8 Box of categories
        return space.low.astype(np.int64).reshape(-1)
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


def _checked_leaf(obs: Any, leaf: _Leaf, batch: int) -> Any:
    if leaf.kind == "text":
        return _checked_text(obs, leaf, batch)
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


def _checked_text(obs: Any, leaf: _Leaf, batch: int) -> list[str]:
    value = _get(obs, leaf)
    texts = [value] if isinstance(value, str) else list(np.asarray(value, dtype=object).reshape(-1))
    if len(texts) != batch or (not isinstance(value, str) and np.ndim(value) != 1):
        raise ValueError(f"{leaf.path} holds {np.shape(value)} texts; the text space {leaf.space} expects "
                         + ("one string" if batch == 1 else f"a batch of {batch} strings"))
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise ValueError(f"{leaf.path} holds {type(bad[0]).__name__} {bad[0]!r}; the text space {leaf.space} expects str")
    return texts


def _discrete_size(space: spaces.Space) -> np.ndarray:
    if isinstance(space, spaces.Discrete):
        return np.asarray([int(space.n)])
    if isinstance(space, spaces.Box):  # a uint8 Box of categories: low..high inclusive
        return (space.high.astype(np.int64) - space.low.astype(np.int64) + 1).reshape(-1)
    if isinstance(space, spaces.MultiDiscrete):
        return space.nvec.reshape(-1).astype(np.int64)
    return np.full(int(np.prod(space.shape)), 2, dtype=np.int64)
