"""Average the weights of checkpoints: a model soup (Wortsman et al. 2022, "Model soups").

Checkpoints fine-tuned one from another (two stages of one recipe) usually lie in one basin of the
loss, where a weighted mean of their weights keeps much of what each learned. The recipe of the
embedded checkpoint uses it to join a stage that learned BabyAI better with one that kept the
double pendulum (experiments/diary.md, "A soup of two stages").

    python -m rollouts.soup runs/a/step-0000300 runs/b/step-0000300 --weight 0.5 0.5 --out runs/soup

The soup takes its tasks (spaces, prompts, dataset facts) and text tokenizer from the first
checkpoint; every checkpoint must have the same model config and the same tasks with the same spaces.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Sequence

import torch

from gato_agent.checkpoint import Checkpoint, load_checkpoint, save_checkpoint_whole

__all__ = ["average_weights", "soup"]


def _check_same(first: Checkpoint, other: Checkpoint) -> None:
    """Raise ValueError saying how `other` differs from `first` in model config or tasks."""
    a, b = first.model.config.to_dict(), other.model.config.to_dict()
    fields = [k for k in a if a[k] != b.get(k)]
    if fields:
        diff = ", ".join(f"{k}={a[k]!r} vs {b.get(k)!r}" for k in fields)
        raise ValueError(f"{other.path} has another model config than {first.path} ({diff}): only equal models can be averaged")
    if set(first.tasks) != set(other.tasks):
        raise ValueError(
            f"{other.path} has the tasks {sorted(other.tasks)} but {first.path} has {sorted(first.tasks)}: "
            "a soup needs checkpoints of the same tasks"
        )
    for name, task in first.tasks.items():
        theirs = other.tasks[name]
        if (task.observation_space, task.action_space) != (theirs.observation_space, theirs.action_space):
            raise ValueError(f"task {name!r} has other spaces in {other.path} than in {first.path}")


def average_weights(states: Sequence[dict[str, torch.Tensor]], weights: Sequence[float]) -> dict[str, torch.Tensor]:
    """The weighted mean of state dicts of one model (weights sum to 1), computed in float32 and
    stored in each tensor's own dtype; integer tensors (none in Gato today) are taken from the first."""
    out = {}
    for key, ref in states[0].items():
        if ref.is_floating_point():
            out[key] = sum(w * s[key].float() for s, w in zip(states, weights)).to(ref.dtype)
        else:
            out[key] = ref.clone()
    return out


def soup(checkpoints: Sequence[str | os.PathLike], out: str | os.PathLike, weights: Sequence[float] | None = None) -> Path:
    """Write the weighted mean of `checkpoints` (equal weights by default) as a checkpoint folder
    `out` (replaced whole, and only once complete); -> its path.

    Raises ValueError for fewer than two checkpoints, weights that are not positive or do not sum to 1,
    or checkpoints whose model config or tasks differ (the message says how).
    """
    if len(checkpoints) < 2:
        raise ValueError(f"a soup needs at least two checkpoints, got {len(checkpoints)}")
    weights = [1 / len(checkpoints)] * len(checkpoints) if weights is None else list(weights)
    if len(weights) != len(checkpoints):
        raise ValueError(f"{len(weights)} weights for {len(checkpoints)} checkpoints: give one weight per checkpoint")
    if any(not w > 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-6):
        raise ValueError(f"weights {weights} must be positive and sum to 1")
    loaded = [load_checkpoint(path) for path in checkpoints]
    for other in loaded[1:]:
        _check_same(loaded[0], other)
    first = loaded[0]
    state = average_weights([c.model.state_dict() for c in loaded], weights)
    return save_checkpoint_whole(out, first.model, first.tasks, weights=state, text_tokenizer=first.text_tokenizer)


def main(argv: list[str] | None = None) -> int:
    """``python -m rollouts.soup CKPT CKPT... [--weight W...] --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m rollouts.soup", description=__doc__.split("\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoint folders (or runs, whose `latest` is taken)")
    parser.add_argument("--weight", type=float, nargs="+", help="one weight per checkpoint, summing to 1 (default: equal)")
    parser.add_argument("--out", required=True, help="the folder to write the averaged checkpoint to")
    args = parser.parse_args(argv)
    try:
        path = soup(args.checkpoints, args.out, args.weight)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
