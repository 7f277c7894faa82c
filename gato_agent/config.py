"""Model configuration: one dataclass, the paper's presets, strict loading.

Paper section numbers refer to Reed et al. 2022, "A Generalist Agent" (arXiv 2205.06175).
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["GatoConfig", "PRESETS"]


@dataclass(frozen=True)
class GatoConfig:
    """Every hyper-parameter of a Gato model. Unknown keys are an error (see `from_dict`)."""

    num_layers: int = 8  # transformer blocks [C.1]
    embed_dim: int = 768  # width of the residual stream [C.1]
    num_heads: int = 24  # attention heads; embed_dim must divide evenly [C.1]
    ff_dim: int = 3072  # hidden width of each block's feed-forward layer [C.1]
    context_length: int = 1024  # tokens the model attends over; the KV cache's window [C.1]
    text_vocab_size: int = 32000  # ids [0, text_vocab_size) are text and discrete values [2.1]
    discrete_values: int = 1024  # discrete values are ids [0, discrete_values), shared with text [2.1]
    continuous_bins: int = 1024  # uniform bins for continuous values, ids after the text range [2.1]
    mu_law_mu: float = 100.0  # mu of the mu-law companding of continuous observations [App. B]
    mu_law_m: float = 256.0  # M of the mu-law companding [App. B]
    image_height: int = 80  # every image is resized to this height before patching [2.1]
    image_width: int = 64  # ... and this width (80x64 = 5x4 = 20 patches per frame)
    image_channels: int = 3  # 3: RGB (grayscale frames repeated); 1: grayscale (RGB frames to luminance, ITU-R 601)
    frame_stack: int = 1  # the last k frames of an image observation, stacked as channels (oldest first);
    # 1 is the paper's single frame [2.1]; Atari needs several to show motion (see docs/design.md)
    image_encoder: str = "patches"  # "patches": 16x16 patches, each through a ResNet v2 block, one token
    # each [2.2]; "cnn": the whole (stacked) image through a Nature-DQN CNN, one token per image (JAT's
    # Atari encoder; not the paper's, see docs/design.md). gato_agent.images builds either; only it reads this
    cnn_trunks: int = 1  # with "cnn": Nature-DQN trunks side by side, their projections summed, so that
    # one game's features need not crowd out another's (not JAT's: see docs/design.md)
    patch_size: int = 16  # non-overlapping square patches [2.1]
    patch_hidden_channels: int = 32  # inner width of the pre-activation ResNet v2 patch block [2.2]
    patch_norm_groups: int = 8  # GroupNorm groups inside the patch block [2.2]
    patch_position_bins: int = 128  # patch row/column positions are quantized to this many intervals [2.2]
    max_observation_tokens: int = 512  # size of the local observation position table [2.2]
    max_text_tokens: int = 16  # most tokens of one text observation per timestep (a Text space of
    # max_length L uses min(L + 1, this)); longer text is cut. The paper gives no figure [2.1]
    vector_encoding: str = "tokens"  # "tokens": one token per float of a continuous observation, mu-law
    # companded and binned [2.1, App. B]; "linear": each continuous observation vector (a float Box leaf)
    # as ONE token, through a learned linear layer (JAT's encoding; not the paper's, see docs/design.md);
    # "mlp": that token with a residual two-layer branch beside the linear layer, zero at the start.
    # gato_agent.vectors builds it; only it reads this
    vector_hidden: int = 256  # with "mlp": the width of the encoder's residual branch
    max_vector_size: int = 64  # with "linear": the most floats of one observation vector (fewer are zero-padded)
    min_vector_size: int = 1  # with "linear": the fewest floats a vector needs to be one token; a smaller
    # one keeps the paper's token per float (the generalist keeps its small MuJoCo vectors so, docs/design.md)
    vector_values: str = "companded"  # with "linear": what the encoder reads of each float: "companded"
    # (mu-law, in [-1, 1], as the paper bins it [App. B]) or "decoded" (the float itself, mu-law decoded
    # from its bin, clipped to [-10, 10]); docs/design.md measures both on Meta-World
    continuous_actions: str = "bins"  # how continuous action values are predicted: "bins" (a softmax over
    # the 1024 uniform bins, the paper's [2.1]) or "regression" (a linear head reads each value off the
    # hidden state, trained by squared error; JAT's, not the paper's, see docs/design.md); either way the
    # value goes back into the sequence as its bin's token
    rope_base: float = 10000.0  # rotary position base; global token order (not in the paper, see model.py)
    dropout: float = 0.0  # dropout on attention output and feed-forward output while training
    layer_norm_eps: float = 1e-5  # epsilon of every LayerNorm

    def __post_init__(self) -> None:
        self._check_types()
        problems = []
        if self.embed_dim % self.num_heads:
            problems.append(f"embed_dim={self.embed_dim} is not divisible by num_heads={self.num_heads}")
        elif (self.embed_dim // self.num_heads) % 2:
            problems.append(f"head size embed_dim/num_heads={self.embed_dim // self.num_heads} must be even (rotary positions)")
        if self.text_vocab_size < self.discrete_values:
            problems.append(
                f"text_vocab_size={self.text_vocab_size} must be >= discrete_values={self.discrete_values}: "
                "discrete values share ids with text [2.1]"
            )
        if self.image_encoder == "patches" and (self.image_height % self.patch_size or self.image_width % self.patch_size):
            problems.append(
                f"image size {self.image_height}x{self.image_width} is not a multiple of patch_size={self.patch_size}"
            )
        if self.image_encoder not in IMAGE_ENCODERS:
            problems.append(f"image_encoder={self.image_encoder!r} is not one of {', '.join(map(repr, IMAGE_ENCODERS))}")
        elif self.image_encoder == "cnn" and min(self.image_height, self.image_width) < CNN_MIN_SIZE:
            problems.append(
                f"image_encoder='cnn' needs images of at least {CNN_MIN_SIZE}x{CNN_MIN_SIZE} (its three convolutions), "
                f"got {self.image_height}x{self.image_width}"
            )
        if self.image_encoder != "cnn" and self.cnn_trunks != 1:
            problems.append(f"cnn_trunks={self.cnn_trunks} needs image_encoder='cnn' (the patch encoder has no trunks)")
        if self.vector_encoding not in VECTOR_ENCODINGS:
            problems.append(f"vector_encoding={self.vector_encoding!r} is not one of {', '.join(map(repr, VECTOR_ENCODINGS))}")
        if self.vector_values not in VECTOR_VALUES:
            problems.append(f"vector_values={self.vector_values!r} is not one of {', '.join(map(repr, VECTOR_VALUES))}")
        if self.continuous_actions not in CONTINUOUS_ACTIONS:
            problems.append(
                f"continuous_actions={self.continuous_actions!r} is not one of {', '.join(map(repr, CONTINUOUS_ACTIONS))}"
            )
        if self.vector_hidden < 1:
            problems.append(f"vector_hidden={self.vector_hidden} must be at least 1")
        if not 1 <= self.min_vector_size <= self.max_vector_size:
            problems.append(f"min_vector_size={self.min_vector_size} must be from 1 to max_vector_size={self.max_vector_size}")
        if self.image_channels not in (1, 3):
            problems.append(f"image_channels={self.image_channels} must be 1 (grayscale) or 3 (RGB)")
        if self.patch_hidden_channels % self.patch_norm_groups:
            problems.append(
                f"patch_hidden_channels={self.patch_hidden_channels} is not divisible by patch_norm_groups={self.patch_norm_groups}"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and f.name != "dropout" and value <= 0:
                problems.append(f"{f.name}={value} must be positive")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout={self.dropout} must be in [0, 1)")
        if problems:
            raise ValueError("invalid GatoConfig: " + "; ".join(problems))

    def _check_types(self) -> None:
        """TypeError unless every int field holds an int, every float field a number and every str
        field a string (bools are refused; an int given for a float field is stored as a float)."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            wanted = f.type if isinstance(f.type, str) else f.type.__name__
            if wanted == "str":
                if not isinstance(value, str):
                    problems.append(f"{f.name}={value!r} ({type(value).__name__}) must be a string")
            elif isinstance(value, bool) or not isinstance(value, int if wanted == "int" else (int, float)):
                problems.append(f"{f.name}={value!r} ({type(value).__name__}) must be {'an integer' if wanted == 'int' else 'a number'}")
            elif wanted == "float":
                object.__setattr__(self, f.name, float(value))
        if problems:
            raise TypeError("invalid GatoConfig: " + "; ".join(problems))

    # ----- token layout [2.1] -----

    @property
    def continuous_offset(self) -> int:
        """First id of the continuous bins: they sit right after the text vocabulary."""
        return self.text_vocab_size

    @property
    def separator_id(self) -> int:
        """The separator between a timestep's observation and its action [2.1]."""
        return self.text_vocab_size + self.continuous_bins

    @property
    def vocab_size(self) -> int:
        """Rows of the one token embedding table: text, continuous bins, separator."""
        return self.separator_id + 1

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_heads

    @property
    def patch_channels(self) -> int:
        """Channels of one patch: the stacked frames' channels, (frame_stack * image_channels)."""
        return self.frame_stack * self.image_channels

    # ----- presets and loading -----

    @classmethod
    def tiny(cls) -> GatoConfig:
        """4 layers, width 256: a control-only model (text ids limited to the 1024 discrete values)."""
        return cls(num_layers=4, embed_dim=256, num_heads=4, ff_dim=1024, text_vocab_size=1024)

    @classmethod
    def small(cls) -> GatoConfig:
        """Gato 79M [C.1]: 8 layers, width 768, 24 heads, feed-forward 3072."""
        return cls(num_layers=8, embed_dim=768, num_heads=24, ff_dim=3072)

    @classmethod
    def baseline(cls) -> GatoConfig:
        """Gato 364M [C.1]: 12 layers, width 1536, 12 heads, feed-forward 6144."""
        return cls(num_layers=12, embed_dim=1536, num_heads=12, ff_dim=6144)

    @classmethod
    def large(cls) -> GatoConfig:
        """Gato 1.18B [C.1]: 24 layers, width 2048, 16 heads, feed-forward 8192."""
        return cls(num_layers=24, embed_dim=2048, num_heads=16, ff_dim=8192)

    @classmethod
    def from_name(cls, name: str, **overrides: Any) -> GatoConfig:
        """A preset by name (`tiny`, `small`, `baseline`, `large`), with optional field overrides."""
        if name not in PRESETS:
            raise ValueError(f"unknown GatoConfig preset {name!r}; known presets: {', '.join(PRESETS)}")
        return dataclasses.replace(getattr(cls, name)(), **cls._checked(overrides))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> GatoConfig:
        """Build from a plain dict (e.g. a checkpoint's config.json); unknown keys, values of the
        wrong type (say "256" for context_length) and invalid values are a ValueError."""
        if not isinstance(values, dict):
            raise ValueError(f"a GatoConfig is a JSON object of its fields, not {type(values).__name__} {values!r}")
        try:
            return cls(**cls._checked(values))
        except TypeError as e:
            raise ValueError(str(e)) from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def _checked(cls, values: dict[str, Any]) -> dict[str, Any]:
        known = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in known]
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, known, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(f"unknown GatoConfig field(s) {', '.join(hints)}; known fields: {', '.join(known)}")
        return values


PRESETS = ("tiny", "small", "baseline", "large")
IMAGE_ENCODERS = ("patches", "cnn")
VECTOR_ENCODINGS = ("tokens", "linear", "mlp")
VECTOR_VALUES = ("companded", "decoded")
CONTINUOUS_ACTIONS = ("bins", "regression")
CNN_MIN_SIZE = 36  # the smallest side the Nature-DQN convolutions (8/4, 4/2, 3/1) accept
