"""Held-out agreement of a run's checkpoints on tasks with continuous (Box) actions, against training minutes.

    python benchmarks/action_error.py --run runs/mw-tokens --heldout data/mw/reach-v3-heldout \
        --heldout data/mw/push-v3-heldout --threads 1

benchmarks/agreement.py scores one discrete action a step; a Box action is one token per dimension,
each one of 1024 bins [2.1], where the exact bin is a harsh measure. Here every action token of the
held-out episodes is predicted greedily, teacher-forced as in agreement.py (consecutive windows of
whole timesteps, the model's context, no prompt), and scored three ways: the exact bin, the bin
within 0.1 of the label (on the [-1, 1] scale the bounds are mapped to: 51 bins either side), and
the mean absolute error on that scale. Prints one row per checkpoint with the mean over the tasks,
the run's tokens per timestep and its training samples (action timesteps) per second; --per-task
adds a row per task.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from agreement import minutes_at, step_of
from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import TaskData, load_task, merge_tasks
from gato_agent.model import Gato
from gato_agent.tokenizer import TokenBatch, continuous_to_bins

NEAR = 0.1  # "within" tolerance on the [-1, 1] action scale


def errors(model: Gato, task: TaskData, max_steps: int, batch_size: int = 16) -> np.ndarray:
    """|predicted bin - label bin| of every scored action token (N,), teacher-forced over windows
    of whole timesteps (evenly spaced ones holding about `max_steps` steps when there are more)."""
    c = model.config
    per_window = c.context_length // task.step_tokens
    windows = [(e, t, min(t + per_window, len(e.ids))) for e in task.episodes for t in range(0, len(e.ids), per_window)]
    keep = max(1, max_steps // per_window)
    if len(windows) > keep:
        windows = [windows[i] for i in np.linspace(0, len(windows) - 1, keep).round().astype(int)]
    out = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(windows), batch_size):
            rows = [task._tokens([w], c.context_length) for w in windows[start : start + batch_size]]
            hidden = model(TokenBatch.join([r[0] for r in rows], 0))  # (B, L, D)
            targets = torch.cat([r[1] for r in rows])  # (B, L)
            where = targets[:, 1:] >= 0  # position t predicts token t + 1
            h = hidden[:, :-1][where]  # (N, D)
            if model.action_head is not None:  # continuous_actions "regression": the head's value, binned
                bins = continuous_to_bins(model.action_values(h).clamp(-1.0, 1.0), c.continuous_bins)
            else:
                bins = model.logits(h, c.continuous_offset, c.continuous_offset + c.continuous_bins).argmax(-1)
            out.append((bins - (targets[:, 1:][where] - c.continuous_offset)).abs().numpy())
    return np.concatenate(out)


def scores(diff: np.ndarray, bins: int) -> tuple[float, float, float]:
    """Exact-bin agreement, agreement within NEAR, mean absolute error on the [-1, 1] scale."""
    err = diff * 2.0 / bins
    return float((diff == 0).mean()), float((err <= NEAR).mean()), float(err.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="gato-train run folder (its step-* checkpoints)")
    parser.add_argument("--heldout", type=Path, action="append", required=True, help="held-out Minari dataset (one task each, Box actions)")
    parser.add_argument("--max-steps", type=int, default=1000, help="score about this many held-out steps per task")
    parser.add_argument("--every", type=int, default=1, help="score every n-th kept checkpoint (and the last)")
    parser.add_argument("--per-task", action="store_true", help="also print each task's row")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    found = sorted(args.run.glob("step-*"))
    if not found:
        parser.error(f"--run {args.run}: no step-* checkpoint")
    checkpoints = found[:: args.every] + found[-1:] * (len(found) % args.every != 1 % args.every)
    config = load_checkpoint(checkpoints[0]).model.config
    tasks, _ = merge_tasks([load_task(p, config) for p in args.heldout], None)
    if any(lo < config.continuous_offset for task in tasks for lo, _ in task.act_codec.ranges):
        parser.error("every --heldout task needs Box actions (benchmarks/agreement.py scores discrete ones)")
    train_cfg = json.loads((args.run / "train_config.json").read_text())
    minutes = minutes_at(args.run)
    step_tokens = sorted({t.step_tokens for t in tasks})
    print(f"{args.run.name}: vector_encoding {config.vector_encoding}, tokens per timestep {step_tokens}")
    print("| step | minutes | samples/s | exact bin | within 0.1 | mean abs error | task |")
    print("|---|---|---|---|---|---|---|")
    for ckpt in checkpoints:
        model, step = load_checkpoint(ckpt).model, step_of(ckpt)
        # training samples: the action timesteps of the sequences drawn (whole timesteps a context)
        per_sequence = np.mean([config.context_length // t for t in step_tokens])
        rate = step * train_cfg["batch_size"] * per_sequence / max(minutes.get(step, float("nan")) * 60, 1e-9)
        per_task = {t.name: errors(model, t, args.max_steps) for t in tasks}
        head = f"| {step} | {minutes.get(step, float('nan')):.1f} | {rate:,.0f} |"
        for name, diff in per_task.items() if args.per_task else []:
            print(head + " {:.3f} | {:.3f} | {:.3f} |".format(*scores(diff, config.continuous_bins)) + f" {name} |")
        mean = np.mean([scores(d, config.continuous_bins) for d in per_task.values()], axis=0)
        print(head + " {:.3f} | {:.3f} | {:.3f} |".format(*mean) + " mean |", flush=True)


if __name__ == "__main__":
    main()
