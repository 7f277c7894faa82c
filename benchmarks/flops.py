"""What one Atari training sample costs: the Gato's FLOPs per timestep beside the Nature CNN's.

    python benchmarks/flops.py                                         # the embedded checkpoint's config
    python benchmarks/flops.py --checkpoint recipes/weights/atari-stack-step2000
    python benchmarks/flops.py --checkpoint recipes/weights/atari-stack-step2000 --patch-hidden-channels 16
    python benchmarks/flops.py --checkpoint recipes/weights/atari-stack-step2000 --image-height 64 --image-width 48

One behaviour-cloning sample is one timestep: for the Gato, its image's patches through the patch
block, then its tokens (the patches, the separator and the action) through the transformer, with
attention over a full context; for rollouts/pretrain_encoder.py's CNN, one frame stack. FLOPs are
counted by torch's FlopCounterMode (matmuls and convolutions; 2 per multiply-add), for the forward
pass and for forward + backward, so the figures do not depend on the machine or on what else runs.
Wall time per FLOP differs between the two: see benchmarks/README.md for the measured profile.
"""

from __future__ import annotations

import argparse
import dataclasses

import torch
from torch.utils.flop_counter import FlopCounterMode

from gato_agent.checkpoint import load_checkpoint
from gato_agent.config import GatoConfig
from gato_agent.images import describe, input_shape, tokens_per_image
from gato_agent.model import Gato, rotary
from rollouts.pretrain_encoder import NatureCNN


def flops(fn) -> tuple[int, int]:
    """(forward, forward + backward) FLOPs of fn(), which returns a tensor to sum for backward."""
    with FlopCounterMode(display=False) as forward:
        out = fn()
    with FlopCounterMode(display=False) as both:
        fn().sum().backward()
    del out
    return forward.get_total_flops(), both.get_total_flops()


def per_timestep(
    config: GatoConfig, action_tokens: int, actions: int
) -> tuple[dict[str, tuple[int, int]], tuple[int, int], int]:
    """FLOPs of one Atari timestep: the Gato's per part {part: (forward, forward + backward)}, the
    CNN's (forward, forward + backward), and the Gato's tokens per timestep."""
    model = Gato(config)
    n_patches = tokens_per_image(config)
    patches = torch.randn(n_patches, *input_shape(config))  # (P, C*k, p, p), or (1, C*k, H, W) for the CNN encoder
    idx = torch.arange(n_patches)
    tokens = n_patches + 1 + action_tokens  # image tokens, separator, action [2.1]
    length = config.context_length
    x = torch.randn(1, length, config.embed_dim)  # (1, L, D): one full context
    rope = rotary(torch.arange(length)[None], config.head_dim, config.rope_base)

    def blocks():
        h = x
        for block in model.blocks:
            h = block(h, rope, None)
        return model.ln_f(h)

    hidden = torch.randn(action_tokens, config.embed_dim)
    control = config.text_vocab_size  # action ids sit after the text range
    parts = {
        f"image encoder ({describe(config)})": flops(lambda: model.images(patches, idx)),
        "transformer": tuple(f * tokens // length for f in flops(blocks)),
        "action logits": flops(lambda: model.logits(hidden, control, control + config.discrete_values)),
    }
    frames = torch.rand(1, config.patch_channels, config.image_height, config.image_width)
    cnn = NatureCNN(config.patch_channels, config.image_height, config.image_width, [actions])  # one task's head
    return parts, flops(lambda: cnn(frames)), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=None, help="a checkpoint folder (default: the embedded one)")
    parser.add_argument("--patch-hidden-channels", type=int, default=None, help="override the patch block's width")
    parser.add_argument("--image-height", type=int, default=None, help="override the frame height (a multiple of 16)")
    parser.add_argument("--image-width", type=int, default=None, help="override the frame width (a multiple of 16)")
    parser.add_argument("--image-encoder", choices=("patches", "cnn"), default=None, help="override the image encoder")
    parser.add_argument("--actions", type=int, default=4, help="the game's actions (Breakout: 4)")
    args = parser.parse_args()
    torch.manual_seed(0)
    config = load_checkpoint(args.checkpoint).model.config
    overrides = {"patch_hidden_channels": args.patch_hidden_channels, "image_height": args.image_height,
                 "image_width": args.image_width, "image_encoder": args.image_encoder}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    parts, cnn, tokens = per_timestep(config, action_tokens=1, actions=args.actions)
    gato = tuple(sum(f[i] for f in parts.values()) for i in (0, 1))
    print(f"image {config.image_height}x{config.image_width}x{config.patch_channels} "
          f"(frame_stack {config.frame_stack}), {tokens} tokens a timestep, context {config.context_length}, "
          f"patch block width {config.patch_hidden_channels}\n")
    print("| per timestep | forward MFLOPs | forward + backward MFLOPs | share of the Gato's |")
    print("|---|---|---|---|")
    for name, (fwd, both) in parts.items():
        print(f"| Gato {name} | {fwd / 1e6:.1f} | {both / 1e6:.1f} | {both / gato[1]:.0%} |")
    print(f"| **Gato, all** | {gato[0] / 1e6:.1f} | {gato[1] / 1e6:.1f} | 100% |")
    print(f"| Nature CNN | {cnn[0] / 1e6:.1f} | {cnn[1] / 1e6:.1f} | - |")
    print(f"\nGato / CNN, forward + backward: {gato[1] / cnn[1]:.1f}x")


if __name__ == "__main__":
    main()
