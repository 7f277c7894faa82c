"""How closely a checkpoint imitates its demonstrators, teacher-forced on their datasets.

    python -m rollouts.imitation --checkpoint runs/default-finetune2 --dataset data/default/breakout ...

Per task (datasets of one env are merged, as gato-train does), seeded windows of whole timesteps
from the datasets go through the model in eval mode, with no prompt (a task the checkpoint acts on
with `context_steps` gets windows of that many timesteps, as it was trained); the table gives the action
tokens' cross-entropy and how often the greedy prediction is the demonstrator's action, beside how
often a constant policy would be (each action dimension's most common value), and for a Discrete
action the recall of each action (a rare but vital one shows there). A task whose accuracy
sits at that constant baseline has learned nothing from its observations; returns in an env
(gato-eval) then show whether what it did learn is enough. Where a dataset keeps the executed
actions, the model reads them as its history, as gato-train does (a model that leans on a clean
history of the demonstrator's actions scores well here and fails when it acts on its own).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces

from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import SequenceSampler, TaskData, load_task, merge_tasks
from gato_agent.model import Gato
from gato_agent.loss import action_loss

__all__ = ["Imitation", "imitation", "constant_accuracy", "markdown", "main"]


@dataclass
class Imitation:
    """One task's teacher-forced scores."""

    task: str  # the env id
    tokens: int  # action tokens scored
    loss: float  # mean cross-entropy of those tokens (nats)
    accuracy: float  # share whose greedy prediction is the demonstrator's
    constant: float  # share a constant policy gets right (each dimension's most common value)
    recall: dict[int, float] | None = None  # Discrete actions: per action, the share of its labels predicted
    # as it (a rare but vital action, such as Breakout's FIRE, shows here and hardly in the accuracy)
    support: dict[int, int] | None = None  # Discrete actions: per action, how many labels were scored


def constant_accuracy(task: TaskData) -> float:
    """Accuracy of always predicting each action dimension's most common value, over all steps."""
    dims = int(task.timestep.is_action.sum())  # the stored timestep ends with its action tokens, in any vector layout
    ids = np.concatenate([e.ids[:, -dims:] for e in task.episodes])  # (steps, action dims)
    return float(np.mean([np.unique(column, return_counts=True)[1].max() / len(column) for column in ids.T]))


def imitation(model: Gato, tasks: list[TaskData], batches: int = 4, batch_size: int = 16, seed: int = 0,
              context_steps: list[int | None] | None = None) -> list[Imitation]:
    """Score `model` on `batches` x `batch_size` windows (of its context length, or of a task's
    `context_steps` timesteps, one per task or None) of each task."""
    context_steps = context_steps or [None] * len(tasks)
    model.eval()
    scores = []
    with torch.no_grad():
        for task, steps in zip(tasks, context_steps):
            sampler = SequenceSampler([task], None, model.config.context_length, seed, prompt_prob=0.0, context_steps=[steps])
            loss = correct = count = 0.0
            labels, hits = [], []
            for _ in range(batches):
                batch = sampler.sample(batch_size)
                result = action_loss(model, model(batch.tokens, windows=batch.windows), batch)
                loss += result.token_loss.sum().item()
                correct += result.correct.sum().item()
                count += len(result.token_loss)
                labels.append(batch.targets[batch.targets >= 0])
                hits.append(result.correct)
            recall = support = None
            if isinstance(task.act_codec.space, spaces.Discrete):
                label, hit = torch.cat(labels), torch.cat(hits)
                actions = range(task.act_codec.ranges[0][1])
                support = {a: int((label == a).sum()) for a in actions}
                recall = {a: float(hit[label == a].float().mean()) for a in actions if support[a]}
            scores.append(Imitation(task.name, int(count), loss / count, correct / count, constant_accuracy(task),
                                    recall, support))
    return scores


def markdown(scores: list[Imitation]) -> str:
    """The scores as a markdown table."""
    lines = ["| task | action tokens | cross-entropy | greedy accuracy | constant policy | above constant |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {s.task} | {s.tokens} | {s.loss:.3f} | {s.accuracy:.3f} | {s.constant:.3f} | {s.accuracy - s.constant:+.3f} |"
              for s in scores]
    for s in scores:
        if s.recall is not None:
            lines += ["", f"{s.task}: recall per action (labels scored)", "",
                      "| " + " | ".join(str(a) for a in s.support) + " |", "|" + "---|" * len(s.support),
                      "| " + " | ".join(f"{s.recall[a]:.2f} ({n})" if n else "- (0)" for a, n in s.support.items()) + " |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rollouts.imitation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="checkpoint or training run folder (default: the embedded one)")
    parser.add_argument("--dataset", action="append", required=True, help="Minari dataset (repeat for several)")
    parser.add_argument("--batches", type=int, default=4, help="batches of windows per task")
    parser.add_argument("--batch-size", type=int, default=16, help="windows per batch")
    parser.add_argument("--seed", type=int, default=0, help="seeds the choice of windows")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.batches < 1 or args.batch_size < 1:
        parser.error(f"--batches and --batch-size must be >= 1, got {args.batches} and {args.batch_size}")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        model = checkpoint.model
        tasks, _ = merge_tasks([load_task(path, model.config) for path in args.dataset], None)
        steps = [checkpoint.tasks[t.name].context_steps if t.name in checkpoint.tasks else None for t in tasks]
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(markdown(imitation(model, tasks, args.batches, args.batch_size, args.seed, steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
