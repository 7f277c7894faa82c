"""What a checkpoint keeps of each task it was trained on (gato-train writes it, the agent and a
fine-tune read it): the task's spaces, a prompt demonstration, facts about its dataset, and the
action variance that --normalize-actions divided its errors by, which a fine-tune keeps."""

from __future__ import annotations

import sys

import numpy as np
from torch import Tensor

from gato_agent.checkpoint import Task
from gato_agent.config import GatoConfig
from gato_agent.data import TaskData
from gato_agent.loss import action_variance

__all__ = ["ACTION_VARIANCE", "action_divisors", "recorded_action_variances", "checkpoint_task"]

ACTION_VARIANCE = "action_variance"  # a task's info key: the variance --normalize-actions divided its errors by


def checkpoint_task(task: TaskData, context_length: int, context_steps: int | None = None, prompted: bool = False,
              action_var: float | None = None) -> Task:
    """What a checkpoint keeps of a task: spaces, a prompt of at most half the context (where the
    task acts on its last `context_steps` timesteps: only if it was `prompted` in training, and short
    enough to leave them room), dataset facts, and the action variance its errors were divided by
    (--normalize-actions), which a fine-tune from the checkpoint keeps."""
    returns = task.returns  # (episodes,) known without reading the episodes
    info = {"dataset": task.source, "episodes": len(task.episodes), "steps": task.num_steps,
            "return_mean": float(np.mean(returns)), "return_max": float(max(returns))}
    if action_var is not None:
        info[ACTION_VARIANCE] = action_var
    budget = context_length // 2  # tokens
    if context_steps is not None:
        budget = min(budget, context_length - context_steps * task.step_tokens) if prompted else 0
    prompt = task.prompt(budget) if budget >= task.step_tokens else None
    return Task(task.obs_codec.space, task.act_codec.space, prompt, info, context_steps)


def recorded_action_variances(tasks: dict[str, Task]) -> dict[str, float]:
    """The action variances a checkpoint's tasks recorded, by task name (a checkpoint written before
    they were recorded, or trained without --normalize-actions, has none)."""
    return {name: t.info[ACTION_VARIANCE] for name, t in tasks.items() if ACTION_VARIANCE in t.info}


def action_divisors(tasks: list[TaskData], config: GatoConfig, recorded: dict[str, float], source: str | None) -> Tensor:
    """(len(tasks),) the divisors of --normalize-actions: a task keeps the variance in `recorded`
    (its starting checkpoint's), the others are measured on their data; with `source` (that
    checkpoint, named), one line on stderr says how many were kept."""
    kept = sum(t.name in recorded for t in tasks)
    if source is not None and kept:
        others = "; the others are measured on their data" if kept < len(tasks) else ""
        print(f"gato-train: --normalize-actions: {kept} of {len(tasks)} tasks keep the action variances {source} "
              f"recorded{others}", file=sys.stderr)
    return action_variance(tasks, config, known=recorded)
