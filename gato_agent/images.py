"""The image encoder, its pixels and its weights: the one module that reads `GatoConfig.image_encoder`.

Two encoders read an observation's (stacked) frames:

- "patches", the paper's [2.1, 2.2]: the frame is cut into 16x16 patches, pixels scaled to
  [-1, 1] and divided by sqrt(16), each patch through a pre-activation ResNet v2 block and a linear
  projection, plus learned row/column positions: one token a patch (20 for an 80x64 frame);
- "cnn": the whole frame stack, pixels scaled to [0, 1], through `cnn_trunks` Nature-DQN trunks
  side by side (Mnih et al. 2015), each with its own projection, summed: one token an image
  (JAT's Atari encoder, not the paper's; see docs/design.md).

The weights are `Gato.images.*`. Checkpoints written before this module name them `patches.*`, and
those written before the CNN had trunks name its one trunk `patches.conv/hidden/proj`: every older
name is mapped here, once (`upgrade_state_names`, and `upgrade_pattern` for --trainable globs).
Frames become the model's size (and grayscale or RGB) in `resize_images`; frame stacks are
gato_agent.timestep's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gato_agent.config import GatoConfig

__all__ = [
    "PREFIX", "uses_patches", "PatchEncoder", "NatureTrunk", "FrameCNN", "build_image_encoder", "tokens_per_image", "input_shape",
    "describe", "replaces_encoder", "encoder_input", "from_pixels", "to_pixels", "resize_images", "patchify",
    "images_to_patches", "patches_to_images", "upgrade_state_names", "upgrade_pattern", "trunk_weights",
]

PREFIX = "images."  # the encoder's weights in a Gato state dict
_OLD_PREFIX = "patches."  # ... in checkpoints written before this module
_LUMA = torch.tensor([0.299, 0.587, 0.114])  # ITU-R 601 luminance weights of R, G, B


def uses_patches(config: GatoConfig) -> bool:
    """True for the paper's patch encoder, False for the frame CNN."""
    return config.image_encoder == "patches"


def _is_cnn(config: GatoConfig) -> bool:
    return not uses_patches(config)


# ----- what the encoder reads, per config -----


def tokens_per_image(config: GatoConfig) -> int:
    """Tokens of one image: its 16x16 patches [2.1], or 1 with the CNN."""
    if _is_cnn(config):
        return 1
    return (config.image_height // config.patch_size) * (config.image_width // config.patch_size)


def input_shape(config: GatoConfig) -> tuple[int, int, int]:
    """What the encoder reads per token: (C, p, p) for a patch, (C, H, W) for a whole frame stack;
    C = frame_stack * image_channels."""
    if _is_cnn(config):
        return (config.patch_channels, config.image_height, config.image_width)
    return (config.patch_channels, config.patch_size, config.patch_size)


def describe(config: GatoConfig) -> str:
    """The encoder in words, e.g. "cnn, 2 trunks" (for tables and logs)."""
    return f"cnn, {config.cnn_trunks} trunk{'s' * (config.cnn_trunks > 1)}" if _is_cnn(config) else "patches"


def replaces_encoder(new: GatoConfig, old: GatoConfig) -> bool:
    """True when `new` has another kind of encoder than `old` (no weight of it carries over)."""
    return new.image_encoder != old.image_encoder


# ----- pixels -----


def from_pixels(pixels: Tensor, config: GatoConfig) -> Tensor:
    """uint8 pixels -> the encoder's input values, elementwise: [0, 1] for the CNN; for patches
    [-1, 1] / sqrt(patch_size) [2.1]."""
    if _is_cnn(config):
        return pixels.float() / 255.0
    return _patch_values(pixels, config.patch_size)


def to_pixels(values: Tensor, config: GatoConfig) -> Tensor:
    """The inverse of `from_pixels`: input values -> the uint8 pixels they were made from (a
    checkpoint stores its prompts' images so, 4x smaller than float32)."""
    if _is_cnn(config):
        x = values * 255.0
    else:
        x = (values * math.sqrt(config.patch_size) + 1.0) * 127.5
    return x.round().clamp(0, 255).to(torch.uint8)


def _patch_values(pixels: Tensor, patch: int) -> Tensor:
    """uint8 pixels -> [-1, 1] / sqrt(patch) [2.1]."""
    return (pixels.float() / 127.5 - 1.0) / math.sqrt(patch)


def encoder_input(images: Tensor, config: GatoConfig) -> Tensor:
    """uint8 stacked images (..., patch_channels, H, W) -> what the encoder reads, in token order:
    patches (N, patch_channels, p, p), or with the CNN the images in [0, 1] (N, patch_channels, H, W)."""
    shape = input_shape(config)
    flat = images.reshape(-1, *images.shape[-3:])
    if not flat.shape[0]:
        return torch.zeros(0, *shape)
    if _is_cnn(config):
        return from_pixels(flat, config)
    return patchify(flat, config.patch_size).reshape(-1, *shape)


def resize_images(images: Tensor, height: int, width: int, channels: int = 3) -> Tensor:
    """uint8 images (N, H, W) or (N, H, W, C) with C in {1, 3} -> uint8 (N, channels, height, width).

    With channels=3, grayscale is repeated into three channels; with channels=1, RGB becomes its
    luminance (ITU-R 601: 0.299 R + 0.587 G + 0.114 B). Resizing is bilinear with antialiasing,
    rounded back to uint8 so that stored training frames and live frames are the same numbers.
    """
    x = images if images.dim() == 4 else images.unsqueeze(-1)  # (N, H, W, C)
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels (HxW or HxWxC), got shape {tuple(images.shape[1:])}")
    x = x.permute(0, 3, 1, 2)  # (N, C, H, W)
    if x.shape[1] == 3 and channels == 1:
        x = torch.einsum("nchw,c->nhw", x.float(), _LUMA.to(x.device))[:, None]  # (N, 1, H, W)
        if x.shape[-2:] == (height, width):
            return x.round_().clamp_(0, 255).to(torch.uint8).contiguous()
    elif x.shape[1] != channels:
        x = x.expand(-1, channels, -1, -1)
    if x.shape[-2:] != (height, width):
        x = F.interpolate(x.float(), size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        x = x.round_().clamp_(0, 255).to(torch.uint8)
    return x.contiguous()


def patchify(images: Tensor, patch: int = 16) -> Tensor:
    """uint8 images (N, C, H, W) -> patches (N, P, C, patch, patch) in raster order, P = (H/patch)*(W/patch),
    pixels scaled to [-1, 1] and divided by sqrt(patch) [2.1]."""
    n, c, height, width = images.shape
    x = _patch_values(images, patch)
    x = x.reshape(n, c, height // patch, patch, width // patch, patch)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(n, -1, c, patch, patch)


def images_to_patches(images: Tensor, height: int, width: int, patch: int = 16, channels: int = 3) -> Tensor:
    """uint8 images (N, H, W[, C]) of any size -> patches (N, P, C, patch, patch) of the height x width resize."""
    return patchify(resize_images(images, height, width, channels), patch)


def patches_to_images(patches: Tensor, height: int, width: int) -> Tensor:
    """Inverse of `images_to_patches` up to the resize: patches -> float (N, height, width, C) in [0, 255]."""
    n, _, c, p, _ = patches.shape
    x = patches.reshape(n, height // p, width // p, c, p, p).permute(0, 3, 1, 4, 2, 5)
    x = x.reshape(n, c, height, width) * math.sqrt(p)
    return ((x + 1.0) * 127.5).permute(0, 2, 3, 1)


# ----- the encoders -----


class PatchEncoder(nn.Module):
    """A 16x16 patch -> one embedding: a pre-activation ResNet v2 block (GroupNorm, GELU) [2.2],
    a linear projection, and learned row/column positions quantized to 128 intervals [2.2]."""

    def __init__(self, config: GatoConfig):
        super().__init__()
        c, h, p = config.patch_channels, config.patch_hidden_channels, config.patch_size
        self.norm1 = nn.GroupNorm(1, c)
        self.conv1 = nn.Conv2d(c, h, 3, padding=1)
        self.norm2 = nn.GroupNorm(config.patch_norm_groups, h)
        self.conv2 = nn.Conv2d(h, c, 3, padding=1)
        self.proj = nn.Linear(c * p * p, config.embed_dim)
        self.row_pos = nn.Embedding(config.patch_position_bins, config.embed_dim)
        self.col_pos = nn.Embedding(config.patch_position_bins, config.embed_dim)
        rows, cols = config.image_height // p, config.image_width // p
        grid = torch.arange(rows * cols)
        bins = config.patch_position_bins
        # each patch covers the normalized interval [i / n, (i + 1) / n) of rows (columns),
        # quantized to [lo, hi) out of `bins` intervals [2.2]
        for name, index, n in (("row", grid // cols, rows), ("col", grid % cols, cols)):
            self.register_buffer(f"{name}_lo", index * bins // n, persistent=False)
            self.register_buffer(f"{name}_hi", (index + 1) * bins // n, persistent=False)

    def _position(self, lo: Tensor, hi: Tensor) -> Tensor:
        if self.training:  # a uniform sample from the interval
            return lo + (torch.rand(lo.shape, device=lo.device) * (hi - lo)).long()
        return (lo + hi - 1) // 2  # the interval's (rounded) mean

    def forward(self, patches: Tensor, patch_idx: Tensor) -> Tensor:
        """patches (N, C, p, p), patch_idx (N,) -> (N, D)."""
        x = patches
        h = self.conv1(F.gelu(self.norm1(x)))  # (N, hidden, p, p)
        x = x + self.conv2(F.gelu(self.norm2(h)))  # (N, C, p, p)
        e = self.proj(x.flatten(1))  # (N, D)
        rows = self._position(self.row_lo[patch_idx], self.row_hi[patch_idx])
        cols = self._position(self.col_lo[patch_idx], self.col_hi[patch_idx])
        return e + self.row_pos(rows) + self.col_pos(cols)


class NatureTrunk(nn.Module):
    """The Nature-DQN network (Mnih et al. 2015: three convolutions and a 512-unit layer), then a
    linear projection to the model width."""

    def __init__(self, shape: tuple[int, int, int], embed_dim: int):
        super().__init__()
        c, h, w = shape
        self.conv = nn.Sequential(
            nn.Conv2d(c, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten(),
        )  # fmt: skip
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, c, h, w)).shape[1]
        self.hidden = nn.Linear(flat, 512)
        self.proj = nn.Linear(512, embed_dim)

    def forward(self, images: Tensor) -> Tensor:
        """images (N, C, H, W) -> (N, D)."""
        return self.proj(F.relu(self.hidden(self.conv(images))))


class FrameCNN(nn.Module):
    """A whole (stacked) image -> one embedding: the sum of `config.cnn_trunks` Nature-DQN trunks,
    each with its own projection (the same as one projection of their concatenated features, but
    each trunk's weights can train or stay frozen apart). JAT encodes Atari frame stacks with one;
    the paper's patches cost 20 tokens a frame (see docs/design.md for the measurements, and for
    why a second trunk)."""

    def __init__(self, config: GatoConfig):
        super().__init__()
        self.shape, self.embed_dim = input_shape(config), config.embed_dim
        self.trunks = nn.ModuleList(NatureTrunk(self.shape, self.embed_dim) for _ in range(config.cnn_trunks))

    def forward(self, images: Tensor, patch_idx: Tensor) -> Tensor:
        """images (N, C, H, W) in [0, 1], patch_idx (N,) (all 0: one token per image) -> (N, D)."""
        return sum(trunk(images) for trunk in self.trunks)

    def add_trunk(self, weights: dict[str, Tensor]) -> int:
        """Append a trunk whose convolutions and hidden layer are `weights` (a trunk's own names:
        conv.*, hidden.*; see `trunk_weights`) and whose projection is zero, so that the encoder's
        output, and the model's, stay what they were; -> the new trunk's index. ValueError when the
        weights do not fit this encoder's trunks. The caller's config must count the new trunk
        (`Gato.add_image_trunk` does both)."""
        p = next(self.parameters())
        trunk = NatureTrunk(self.shape, self.embed_dim).to(device=p.device, dtype=p.dtype)
        own = {k: v for k, v in weights.items() if not k.startswith("proj.")}
        expected = {k: tuple(v.shape) for k, v in trunk.state_dict().items() if not k.startswith("proj.")}
        got = {k: tuple(v.shape) for k, v in own.items()}
        if got != expected:
            wrong = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
            raise ValueError(f"the trunk weights do not fit a trunk of this encoder (input {self.shape}): "
                             + ", ".join(f"{k} {got.get(k, 'missing')} (expected {expected.get(k, 'none')})" for k in wrong[:4]))
        trunk.load_state_dict({**own, **{f"proj.{k}": torch.zeros_like(v) for k, v in trunk.proj.state_dict().items()}})
        self.trunks.append(trunk)
        return len(self.trunks) - 1

    def freeze_trunk(self, index: int) -> None:
        """Trunk `index` stops taking gradients (requires_grad False: gato-train's optimizer leaves
        it out) and stays as it is; IndexError for a trunk that does not exist."""
        if not 0 <= index < len(self.trunks):
            raise IndexError(f"trunk {index} does not exist: this encoder has trunks 0 to {len(self.trunks) - 1}")
        for param in self.trunks[index].parameters():
            param.requires_grad_(False)


def build_image_encoder(config: GatoConfig) -> PatchEncoder | FrameCNN:
    """The encoder `config.image_encoder` names."""
    return FrameCNN(config) if _is_cnn(config) else PatchEncoder(config)


# ----- names of the weights, old and new -----


def upgrade_state_names(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """A state dict (a whole Gato's, or an encoder's alone) with today's names: `patches.*` ->
    `images.*`, and the one-trunk CNN of before trunks existed (`patches.conv.*`, `patches.hidden.*`,
    `patches.proj.*`) -> trunk 0 (`images.trunks.0.*`). The patch encoder's own `patches.proj.*`
    comes with `patches.conv1.*` and keeps its place. Today's names pass unchanged."""
    one_trunk = any(k.startswith(_OLD_PREFIX + "hidden.") for k in state)
    renamed = {}
    for key, value in state.items():
        if key.startswith(_OLD_PREFIX):
            rest = key[len(_OLD_PREFIX):]
            key = PREFIX + ("trunks.0." + rest if one_trunk else rest)
        renamed[key] = value
    return renamed


def upgrade_pattern(pattern: str) -> str:
    """A glob over weight names (gato-train --trainable) with today's prefix: `patches.*` -> `images.*`."""
    return PREFIX + pattern[len(_OLD_PREFIX):] if pattern.startswith(_OLD_PREFIX) else pattern


def trunk_weights(state: dict[str, Tensor], index: int = 0) -> dict[str, Tensor]:
    """Trunk `index`'s weights under its own names (conv.*, hidden.*, proj.*), from a Gato's or an
    encoder's state dict of any naming; ValueError when it holds no such trunk."""
    prefix = f"{PREFIX}trunks.{index}."
    found = {k[len(prefix):]: v for k, v in upgrade_state_names(state).items() if k.startswith(prefix)}
    if not found:
        trunks = sorted({k.split(".")[2] for k in upgrade_state_names(state) if k.startswith(PREFIX + "trunks.")})
        raise ValueError(f"no CNN trunk {index} in these weights "
                         + (f"(trunks: {', '.join(trunks)})" if trunks else "(no CNN trunk at all: a patch encoder's, or no image encoder)"))
    return found
