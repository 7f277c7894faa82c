"""gato-train: gato_agent.train with periodic evaluation through rollouts.evaluate.

    gato-train --dataset data/halfcheetah-expert --dataset data/pong-expert --config tiny --steps 20000 --out ckpt/
    torchrun --nproc-per-node 2 -m rollouts.train --dataset ... --out ckpt/

The training loop lives in gato_agent.train (which never imports the env side); this module only
adds the evaluator that `--eval-every N` calls on rank 0.
"""

from __future__ import annotations

import sys
from gato_agent import Gato, GatoAgent
from gato_agent.checkpoint import Task
from gato_agent.train import TrainConfig
from gato_agent.train import main as train_main
from rollouts.evaluate import evaluate

__all__ = ["evaluate_tasks", "main"]


def evaluate_tasks(model: Gato, tasks: dict[str, Task], cfg: TrainConfig, step: int) -> dict[str, float]:
    """gato_agent.train's evaluator: each task's prompted, greedy agent over cfg.eval_episodes episodes."""

    def factory(task_id, observation_space, action_space, num_envs):
        task = tasks[task_id]
        return GatoAgent(model, task.observation_space, task.action_space, num_envs=num_envs, prompt=task.prompt,
                         context_steps=task.context_steps)

    results = evaluate(factory, list(tasks), episodes=cfg.eval_episodes, seed=cfg.seed, progress=False)
    metrics = {}
    for result in results.tasks:
        if result.mean is not None:
            metrics[f"eval/{result.env_id}/return"] = result.mean
        if result.normalized is not None:
            metrics[f"eval/{result.env_id}/normalized"] = result.normalized
        if result.error is not None:  # in metrics.jsonl and, never silently, on stderr
            metrics[f"eval/{result.env_id}/error"] = result.error
            print(f"gato-train: warning: --eval-every at step {step}: {result.env_id} could not be evaluated: "
                  f"{result.error.splitlines()[0] if result.error else ''}", file=sys.stderr)
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Entry point of gato-train (flags: gato_agent.train_config.TrainConfig, or --help)."""
    return train_main(argv, evaluate=evaluate_tasks)


if __name__ == "__main__":
    sys.exit(main())
