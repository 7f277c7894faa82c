"""Held-out agreement of a training run's checkpoints against its training minutes.

    python benchmarks/agreement.py --run runs/atari-stack --heldout data/atari/breakout-heldout \
        --heldout data/atari/pong-heldout --threads 1

For each `step-*` checkpoint the run kept, the steps of the held-out episodes are scored
teacher-forced: each episode is cut into consecutive windows of whole timesteps (the model's
context, no prompt; evenly spaced windows of about `--max-steps` steps when there are more), and
the greedy action at each step is compared with the demonstrator's label.
Prints per task one row per checkpoint: training minutes (from the run's metrics.jsonl, so the
machine's load while this script runs does not matter), the task's action samples seen (the
run's samples times the weight share of the task's datasets), agreement, agreement split three
ways (at a window's first step, where no action of the model's is in its context; later steps
whose label repeats the previous step's; later steps whose label changes: a model that copies its
last action scores high on repeats and near always-the-most-common at the first step), and the
recall of each action. `rollouts/pretrain_encoder.py` prints the same columns for a CNN.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import Batch, TaskData, load_task, merge_tasks
from gato_agent.model import Gato
from gato_agent.tokenizer import TokenBatch
from gato_agent.loss import action_loss


def predictions(
    model: Gato, task: TaskData, max_steps: int, batch_size: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Greedy predictions, labels, positions in the window (0: its first step) and episode indices
    of the action tokens of every step of every episode, or of evenly spaced windows of them holding
    about `max_steps` steps. One discrete action a step: (S,) each."""
    per_window = model.config.context_length // task.step_tokens
    windows = [(i, e, t, min(t + per_window, len(e.ids)))
               for i, e in enumerate(task.episodes) for t in range(0, len(e.ids), per_window)]
    keep = max(1, max_steps // per_window)
    if len(windows) > keep:
        windows = [windows[i] for i in np.linspace(0, len(windows) - 1, keep).round().astype(int)]
    predicted, labels = [], []
    position = np.concatenate([np.arange(t1 - t0) for _, _, t0, t1 in windows])  # (S,)
    episode = np.concatenate([np.full(t1 - t0, i) for i, _, t0, t1 in windows])  # (S,)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(windows), batch_size):
            rows = [task._tokens([w[1:]], model.config.context_length) for w in windows[start : start + batch_size]]
            batch = Batch(TokenBatch.join([r[0] for r in rows], 0), *(torch.cat([r[i] for r in rows]) for i in (1, 2, 3)),
                          torch.zeros(len(rows), dtype=torch.long))
            result = action_loss(model, model(batch.tokens), batch)
            target = batch.targets[:, 1:][batch.targets[:, 1:] >= 0]
            predicted.append(torch.where(result.correct, target, -1).numpy())
            labels.append(target.numpy())
    return np.concatenate(predicted), np.concatenate(labels), position, episode


def history_split(pred: np.ndarray, label: np.ndarray, position: np.ndarray) -> tuple[float, float, float]:
    """Agreement at a window's first step, and at later steps whose label repeats / changes the previous one."""
    hit, later = pred == label, position > 0
    repeats = later & (label == np.r_[-1, label[:-1]])
    return hit[~later].mean(), hit[repeats].mean(), hit[later & ~repeats].mean()


def minutes_at(run: Path) -> dict[int, float]:
    """Training minutes at each logged step, from metrics.jsonl (resumed runs: gaps over 10 minutes are cut out)."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "loss" in r]
    out, elapsed, last = {}, 0.0, None
    for r in rows:
        if last is not None:
            gap = r["time"] - last
            elapsed += gap if gap < 600 else 0.0
        last = r["time"]
        out[r["step"]] = elapsed / 60
    return out


def task_share(train_cfg: dict, task: str) -> float:
    """The share of a run's sequences drawn from `task`: the weights of its datasets whose
    collect.json names that env, over all weights (equal weights where the run gave none)."""
    datasets = train_cfg["dataset"]
    weights = train_cfg.get("weight") or [1.0] * len(datasets)
    envs = []
    for path in datasets:
        meta = Path(path) / "collect.json"
        envs.append(json.loads(meta.read_text()).get("env") if meta.is_file() else None)
    return sum(w for w, e in zip(weights, envs) if e == task) / sum(weights)


def step_of(checkpoint: Path) -> int:
    """The step of a `step-NNNNNNN` folder (-1 for a checkpoint folder named otherwise)."""
    head, _, number = checkpoint.name.partition("-")
    return int(number) if head == "step" and number.isdigit() else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, type=Path,
                        help="gato-train run folder (its step-* checkpoints), or one checkpoint folder (no minutes or samples)")
    parser.add_argument("--heldout", action="append", required=True, help="held-out Minari dataset (one task each)")
    parser.add_argument("--max-steps", type=int, default=20000, help="score about this many held-out steps per task")
    parser.add_argument("--every", type=int, default=1, help="score every n-th kept checkpoint from --since on")
    parser.add_argument("--since", type=int, default=0, help="score checkpoints from this step on")
    parser.add_argument("--per-episode", action="store_true",
                        help="also print each held-out episode's agreement and recall (a model can miss one game's waiting states whole)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    single = (args.run / "config.json").is_file()
    checkpoints = [args.run] if single else [c for c in sorted(args.run.glob("step-*")) if step_of(c) >= args.since][:: args.every]
    if not checkpoints:
        parser.error(f"--run {args.run}: no step-* checkpoint (from step {args.since} on) and no config.json")
    config = load_checkpoint(checkpoints[0]).model.config
    tasks, _ = merge_tasks([load_task(p, config) for p in args.heldout], None)
    train_cfg = None if single else json.loads((args.run / "train_config.json").read_text())
    minutes = {} if single else minutes_at(args.run)
    share = {t.name: float("nan") if single else task_share(train_cfg, t.name) for t in tasks}
    rows = {t.name: [] for t in tasks}
    for ckpt in checkpoints:
        model = load_checkpoint(ckpt).model
        step = step_of(ckpt)
        for task in tasks:
            pred, label, position, episode = predictions(model, task, args.max_steps)
            hit = pred == label
            actions = range(task.act_codec.ranges[0][1])
            for i in np.unique(episode) if args.per_episode else []:
                mine = episode == i
                recall = " ".join(f"{hit[mine & (label == a)].mean():.2f}" if (mine & (label == a)).any() else "-" for a in actions)
                print(f"  step {step} {task.name} episode {i}: {mine.sum()} steps, agreement {hit[mine].mean():.3f}, recall {recall}")
            split = " | ".join(f"{a:.3f}" for a in history_split(pred, label, position))
            samples = float("nan") if single else step * train_cfg["batch_size"] * (config.context_length // task.step_tokens) * share[task.name]
            recall = [f"{hit[label == a].mean():.2f}" if (label == a).any() else "-" for a in actions]
            rows[task.name].append(f"| {step} | {minutes.get(step, float('nan')):.1f} | {samples:,.0f} | {hit.mean():.3f} | {split} | "
                                   + " | ".join(recall) + " |")
            print(rows[task.name][-1], task.name, flush=True)
    for task in tasks:
        labels = np.concatenate([e.ids[:, -1] for e in task.episodes])
        counts = np.bincount(labels, minlength=task.act_codec.ranges[0][1])
        print(f"\n{task.name}: {len(labels)} held-out steps (up to {args.max_steps} scored); labels per action {counts.tolist()}; "
              f"always the most common: {counts.max() / len(labels):.3f}\n")
        print("| step | minutes | samples (approx.) | agreement | first step | label repeats | label changes | "
              + " | ".join(f"recall {a}" for a in range(len(counts))) + " |")
        print("|---|---|---|---|---|---|---|" + "---|" * len(counts))
        print("\n".join(rows[task.name]))


if __name__ == "__main__":
    main()
