"""The training loop of gato-train: behaviour cloning of Gato on Minari datasets, on one process or
many (torchrun). The command itself, with periodic evaluation, is `rollouts.train`:

    gato-train --dataset data/halfcheetah-expert --dataset data/pong-expert --config tiny --steps 20000 --out ckpt/
    torchrun --nproc-per-node 2 -m rollouts.train --dataset ... --out ckpt/

Cross-entropy on action tokens only (gato_agent.loss), AdamW with linear warmup and cosine decay
and gradient clipping (gato_agent.optim). Checkpoints go to `--out/step-NNNNNNN/` with
`--out/latest` pointing at the newest (gato_agent.checkpoint); `--resume` continues exactly where
that one stopped: weights, optimizer, schedule, data order and RNG states are all in it.

Under torchrun each rank draws its own sequences (its sampler is seeded with its rank) and DDP
averages gradients (gloo on CPU, nccl on GPU); rank 0 alone writes checkpoints and logs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import tyro
from torch import Tensor

from gato_agent.checkpoint import LATEST_FILE, Task, load_checkpoint, save_run_checkpoint
from gato_agent.data import SequenceSampler, TaskData, load_task, merge_tasks
from gato_agent.distributed import Distributed
from gato_agent.extras import MissingExtra, require
from gato_agent.hub import push_to_hub
from gato_agent.loggers import check_loggers, make_loggers
from gato_agent.loss import action_loss
from gato_agent.loss_plot import plot_loss
from gato_agent.metrics import MetricsLog
from gato_agent.model import Gato
from gato_agent.optim import build_optimizer
from gato_agent.precision import MixedPrecision
from gato_agent.train_config import TrainConfig

__all__ = ["TrainConfig", "TrainResult", "Evaluator", "train", "main"]

Evaluator = Callable[[Gato, dict[str, Task], TrainConfig, int], dict[str, float]]
"""evaluate(model, tasks, cfg, step) -> scalars to log (e.g. `eval/<task>/return`)."""


@dataclass
class TrainResult:
    """What a finished (or resumed and finished) run leaves."""

    model: Gato  # this rank's model, in train mode
    checkpoint: Path  # the folder of the last checkpoint
    step: int  # optimizer steps done


def train(cfg: TrainConfig, evaluate: Evaluator | None = None) -> TrainResult:
    """Run (or resume) a training run to cfg.steps (or cfg.stop_after, if fewer).

    `evaluate(model, tasks, cfg, step)` is called every cfg.eval_every steps on rank 0 and its
    numbers are logged; the gato-train command passes one built on rollouts.evaluate.
    """
    _check_flags(cfg, evaluate)
    env = Distributed(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    model, state = _starting_point(cfg, env)
    step = 0 if state is None else int(state["step"])
    tasks, weights = merge_tasks([load_task(path, model.config, executed_actions=cfg.executed_actions) for path in cfg.dataset], cfg.weight)
    names = [t.name for t in tasks]
    if state is not None:
        _check_resume(cfg, state, names, env)
    schedule = cfg.schedule()
    end = cfg.steps if cfg.stop_after is None else min(cfg.steps, cfg.stop_after)

    model.to(env.device).train()
    sampler = SequenceSampler(tasks, weights, model.config.context_length, cfg.seed, env.rank, cfg.prompt_prob)
    amp = MixedPrecision(cfg.precision, env.device)
    net = env.wrap(model, cfg.strategy)  # before the optimizer: fsdp replaces the parameters by shards
    optimizer = build_optimizer(model, cfg.lr, cfg.weight_decay, env.device)
    if state is not None:
        env.load_optimizer_state(model, optimizer, state["optimizer"], cfg.strategy)
        amp.load_state_dict(state.get("scaler", {}))
        sampler.load_state_dict(state["samplers"][env.rank])
        torch.set_rng_state(state["torch_rng"][env.rank])
    task_meta = {t.name: _task_meta(t, model.config.context_length) for t in tasks}
    loggers = []
    if env.main:
        cfg.out.mkdir(parents=True, exist_ok=True)
        flags = json.loads(json.dumps(dataclasses.asdict(cfg), default=str))
        (cfg.out / "train_config.json").write_text(json.dumps(flags, indent=2) + "\n")
        loggers = make_loggers(cfg.logger, cfg.out, step if cfg.resume else None, flags, cfg.wandb_project)
    log = MetricsLog(loggers, names, env.main, cfg.progress, step, cfg.steps)

    finished = False
    try:
        while step < end:
            started = time.perf_counter()
            batch = sampler.sample(cfg.batch_size).to(env.device)
            lr = schedule(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with amp.autocast():
                result = action_loss(model, net(batch.tokens), batch)
            optimizer.zero_grad(set_to_none=True)
            grad_norm = amp.step(result.loss, optimizer, model.parameters(), cfg.grad_clip)
            step += 1

            tokens = batch.tokens.ids.numel() * env.world
            log.tasks(batch.task[result.row], result.token_loss, result.correct)
            log.step(step, {"loss": result.loss.item(), "accuracy": result.accuracy.item(), "grad_norm": grad_norm.item(),
                            "lr": lr, "tokens_per_s": tokens / (time.perf_counter() - started)}, cfg.log_every)
            if step % cfg.checkpoint_every == 0 or step == end:
                _save(cfg, env, model, task_meta, optimizer, amp, sampler, step, names)
            if cfg.eval_every and step % cfg.eval_every == 0 and env.main:
                model.eval()
                log.record(step, evaluate(model, task_meta, cfg, step))
                model.train()
        finished = True
    finally:
        log.close()
        if env.main and (cfg.out / "metrics.jsonl").exists():
            plot_loss(cfg.out / "metrics.jsonl", cfg.out / "loss.png")
        env.close(finished)
    if cfg.push_to_hub and env.main:
        push_to_hub(cfg.out, cfg.push_to_hub, cfg.hub_dataset, cfg.hub_results)  # the run's latest checkpoint
    return TrainResult(model, cfg.out / f"step-{step:07d}", step)


def _check_flags(cfg: TrainConfig, evaluate: Evaluator | None) -> None:
    """Fail before any work (on every rank) on flags that cannot run."""
    if not cfg.dataset:
        raise ValueError("no --dataset given: pass one or more Minari datasets (gato-collect --out folders)")
    if cfg.eval_every and evaluate is None:
        raise ValueError("--eval-every needs an evaluator: use the gato-train command (rollouts.train), not gato_agent.train")
    if cfg.eval_every and cfg.strategy == "fsdp" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError("--eval-every runs on rank 0 alone and cannot use a model sharded with --strategy fsdp: "
                         "evaluate the checkpoints with gato-eval")
    check_loggers(cfg.logger)
    if cfg.push_to_hub:
        require("huggingface_hub", "hub", "--push-to-hub")


def _check_resume(cfg: TrainConfig, state: dict[str, Any], names: list[str], env: Distributed) -> None:
    """A resumed run must see the same tasks, strategy and learning-rate schedule as the one it continues."""
    if state["tasks"] != names:
        raise ValueError(f"--resume: the run was trained on tasks {state['tasks']}, not {names}")
    if state.get("strategy", "ddp") != cfg.strategy and env.world > 1:
        raise ValueError(f"--resume: the run was trained with --strategy {state['strategy']}, not {cfg.strategy}")
    schedule = cfg.schedule().to_dict()
    if state.get("schedule", schedule) != schedule:
        raise ValueError(f"--resume: the run's learning-rate schedule is {state['schedule']}, these flags give "
                         f"{schedule}; resuming would bend its cosine curve. Pass the run's values "
                         "(--stop-after N stops a run early without changing them), or start a new run from its weights with --init")


def _starting_point(cfg: TrainConfig, env: Distributed) -> tuple[Gato, dict[str, Any] | None]:
    """The model to train and, with --resume, the trainer state it stopped with."""
    latest = cfg.out / LATEST_FILE
    if env.main and not cfg.resume and latest.exists():
        raise FileExistsError(f"{cfg.out} already holds a training run: pass --resume to continue it, or another --out")
    if cfg.resume:  # the run's own model config wins over --config
        if not latest.exists():
            raise FileNotFoundError(f"--resume: {cfg.out} holds no checkpoint ({LATEST_FILE} is missing)")
        ckpt = load_checkpoint(cfg.out, trainer_state=True)
        return ckpt.model, ckpt.trainer_state
    init = load_checkpoint(cfg.init) if cfg.init is not None else None
    config = cfg.model_config(None if init is None else init.model.config)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    model = Gato(config)
    if init is not None:
        _load_matching(model, init.model.state_dict(), env.main)
    return model, None


def _load_matching(model: Gato, state: dict[str, Tensor], verbose: bool) -> None:
    """--init: copy every weight whose shape is unchanged; the ones --model-overrides reshaped (say,
    the patch block under another frame_stack) keep their fresh initialisation, and are named."""
    own = model.state_dict()
    fresh = [name for name, value in own.items() if name not in state or state[name].shape != value.shape]
    model.load_state_dict({k: v for k, v in state.items() if k not in fresh}, strict=not fresh)
    if fresh and verbose:
        print(f"gato-train: --init: {len(fresh)} tensors start fresh (their shapes changed): {', '.join(fresh)}", file=sys.stderr)


def _task_meta(task: TaskData, context_length: int) -> Task:
    """What a checkpoint keeps of a task: spaces, a prompt of half the context, dataset facts."""
    returns = [e.ret for e in task.episodes]
    info = {"dataset": task.source, "episodes": len(task.episodes), "steps": task.num_steps,
            "return_mean": float(np.mean(returns)), "return_max": float(max(returns))}
    return Task(task.obs_codec.space, task.act_codec.space, task.prompt(context_length // 2), info)


def _save(cfg: TrainConfig, env: Distributed, model: Gato, tasks: dict[str, Task], optimizer: torch.optim.Optimizer,
          amp: MixedPrecision, sampler: SequenceSampler, step: int, names: list[str]) -> None:
    """Every rank hands in its data order and RNG state (and under fsdp its shards); rank 0 writes
    the checkpoint."""
    samplers = env.gather(sampler.state_dict())
    rngs = env.gather(torch.get_rng_state())
    weights = env.full_weights(model, cfg.strategy)
    optimizer_state = env.optimizer_state(model, optimizer, cfg.strategy)
    if env.main:
        state = {"step": step, "tasks": names, "schedule": cfg.schedule().to_dict(), "strategy": cfg.strategy,
                 "optimizer": optimizer_state, "scaler": amp.state_dict(), "samplers": samplers, "torch_rng": rngs}
        save_run_checkpoint(cfg.out, model, tasks, state, step, cfg.keep_checkpoints, weights)


def main(argv: list[str] | None = None, evaluate: Evaluator | None = None) -> int:
    """gato-train's flag parsing (tyro), with `--recipe FILE` giving the defaults; errors are one
    plain line and exit status 2. The gato-train command (rollouts.train) calls it with its evaluator."""
    argv = sys.argv[1:] if argv is None else argv
    default = TrainConfig()
    if "--recipe" in argv:  # a recipe file gives the defaults; flags override it
        i = argv.index("--recipe")
        if i + 1 >= len(argv):
            print("gato-train: error: --recipe needs a JSON file", file=sys.stderr)
            return 2
        default = TrainConfig.from_json(argv[i + 1], recipe=Path(argv[i + 1]))
        argv = argv[:i] + argv[i + 2 :]
    cfg = tyro.cli(TrainConfig, args=argv, default=default, description=__doc__)
    try:
        result = train(cfg, evaluate)
    except (ValueError, FileNotFoundError, FileExistsError, MissingExtra) as e:
        print(f"gato-train: error: {e}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"gato-train: {result.step} steps; checkpoint {result.checkpoint}")
    return 0
