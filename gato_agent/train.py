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

import contextlib
import dataclasses
import fnmatch
import json
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import tyro

from gato_agent.atomic import write_atomic
from gato_agent.batches import MicroBatches, accumulate
from gato_agent.checkpoint import (LATEST_FILE, Checkpoint, CheckpointError, Task, load_checkpoint, save_run_checkpoint,
                                   step_folders)
from gato_agent.cli import RunFailed, UsageError, is_disk_full, make_out_dir, run_command
from gato_agent.data import SequenceSampler, merge_tasks
from gato_agent.distributed import Distributed
from gato_agent.divergence import check_weights, diverged, non_finite_step, non_finite_weights
from gato_agent.extras import MissingExtra, require
from gato_agent.hub import push_to_hub
from gato_agent.images import PREFIX as IMAGE_WEIGHTS
from gato_agent.images import replaces_encoder, upgrade_pattern
from gato_agent.loggers import check_loggers, make_loggers
from gato_agent.loss_plot import plot_loss
from gato_agent.metrics import MetricsLog
from gato_agent.model import Gato
from gato_agent.optim import build_optimizer
from gato_agent.precision import MixedPrecision
from gato_agent.runlock import LOCK_FILE, FolderLock
from gato_agent.sources import load_source
from gato_agent.task_meta import action_divisors, checkpoint_task, recorded_action_variances
from gato_agent.train_config import TrainConfig, check_numbers, task_context_steps, task_history_noise, task_prompt_prob

__all__ = ["TrainConfig", "TrainResult", "Evaluator", "train", "main"]

RUN_CONFIG = "train_config.json"  # the flags of the run, written when it starts

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
    with FolderLock(cfg.out, "gato-train") if env.main else contextlib.nullcontext():  # one process per run folder
        return _train(cfg, evaluate, env)


def _train(cfg: TrainConfig, evaluate: Evaluator | None, env: Distributed) -> TrainResult:
    """train's work, while rank 0 holds the run folder's lock."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    model, state, start_tasks = _starting_point(cfg, env)
    inherited = start_tasks if cfg.keep_init_tasks else {}
    _freeze(model, cfg.trainable)
    step = 0 if state is None else int(state["step"])
    tasks, weights = merge_tasks([load_source(path, model.config, cfg.executed_actions, cfg.cache_mb * 2**20)
                                  for path in cfg.dataset], cfg.weight or None)
    names = [t.name for t in tasks]
    if cfg.normalize_actions and model.config.continuous_actions != "regression":
        raise UsageError("--normalize-actions divides a regression head's squared errors: the model's continuous_actions is "
                         f"{model.config.continuous_actions!r}; add --model-overrides continuous_actions regression")
    action_var = None
    if cfg.normalize_actions:  # a task keeps the variance its starting checkpoint recorded (--resume: always)
        keep = recorded_action_variances(start_tasks) if state is not None or cfg.init_action_variance else {}
        source = "the run's checkpoint" if state is not None else f"--init {cfg.init}"
        action_var = action_divisors(tasks, model.config, keep, source if env.main else None)
    variances = dict(zip(names, action_var.tolist())) if action_var is not None else {}
    action_var = None if action_var is None else action_var.to(env.device)
    if state is not None:
        _check_resume(cfg, state, names, env)
    schedule = cfg.schedule()
    end = cfg.steps if cfg.stop_after is None else min(cfg.steps, cfg.stop_after)

    model.to(env.device).train()
    prompts = task_prompt_prob(cfg, names)  # (tasks,)
    sampler = SequenceSampler(tasks, weights, model.config.context_length, cfg.seed, env.rank, prompts,
                              task_history_noise(cfg, names), cfg.episode_start_prob,
                              task_context_steps(cfg, names, [t.step_tokens for t in tasks], model.config.context_length))
    amp = MixedPrecision(cfg.precision, env.device)
    net = env.wrap(model, cfg.strategy)  # before the optimizer: fsdp replaces the parameters by shards
    optimizer = build_optimizer(model, cfg.lr, cfg.weight_decay, env.device)
    if state is not None:
        env.load_optimizer_state(model, optimizer, state["optimizer"], cfg.strategy)
        amp.load_state_dict(state.get("scaler", {}))
        sampler.load_state_dict(_sampler_state(state, cfg, env.rank))
        torch.set_rng_state(state["torch_rng"][env.rank])
    batches = MicroBatches(sampler, cfg.batch_size, cfg.workers)
    task_meta = {**inherited, **{t.name: checkpoint_task(t, model.config.context_length, cfg.task_context_steps.get(t.name),
                                                         p > 0, variances.get(t.name))
                                 for t, p in zip(tasks, prompts)}}  # in --init's order
    loggers = []
    if env.main:
        cfg.out.mkdir(parents=True, exist_ok=True)
        flags = json.loads(json.dumps(dataclasses.asdict(cfg), default=str))
        (cfg.out / RUN_CONFIG).write_text(json.dumps(flags, indent=2) + "\n")
        loggers = make_loggers(cfg.logger, cfg.out, step if cfg.resume else None, flags, cfg.wandb_project)
    log = MetricsLog(loggers, names, env.main, cfg.progress, step, cfg.steps)

    finished = False
    saving = None  # the step whose checkpoint is being written, while it is
    try:
        with _StopOnSignal() as stop:  # SIGINT/SIGTERM: finish this step, save it, stop
            while step < end:
                started = time.perf_counter()
                micro = [next(batches).to(env.device) for _ in range(cfg.grad_accum)]
                lr = schedule(step)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                optimizer.zero_grad(set_to_none=True)
                result = accumulate(net, model, micro, amp, env, log, cfg.label_sigma, action_var)
                grad_norm = amp.update(optimizer, model.parameters(), cfg.grad_clip)
                step += 1
                loss, norm = result.loss, grad_norm.item()
                bad = non_finite_step(loss, norm, scaled=amp.name == "fp16")
                if env.any(bad is not None):  # every rank stops together, before this step is logged or saved
                    raise diverged(bad or "the loss is not finite on another rank", step, _intact(cfg.out))

                tokens = result.tokens * env.world
                log.step(step, {"loss": loss, "accuracy": result.accuracy, "grad_norm": norm,
                                "lr": lr, "tokens_per_s": tokens / (time.perf_counter() - started)}, cfg.log_every)
                stopping = env.any(stop.received is not None)
                if step % cfg.checkpoint_every == 0 or step == end or stopping:
                    bad_weights = non_finite_weights(model)
                    if env.any(bool(bad_weights)):
                        check_weights(bad_weights or ["of another rank"], step, _intact(cfg.out))
                    saving = step
                    _save(cfg, env, model, task_meta, optimizer, amp, batches, step, names)
                    saving = None
                if stopping:
                    raise KeyboardInterrupt
                if cfg.eval_every and step % cfg.eval_every == 0 and env.main:
                    model.eval()
                    log.record(step, evaluate(model, task_meta, cfg, step))
                    model.train()
        finished = True
    except OSError as e:
        if not is_disk_full(e):
            raise
        what = f"step {saving}" if saving is not None else f"{cfg.out / 'metrics.jsonl'} at step {step}"
        raise RunFailed(f"disk full while writing {what}; {_intact(cfg.out)}: free some space and go on with --resume") from None
    finally:
        batches.close()
        log.close()
        if env.main:
            _plot(cfg.out, warn=finished)
        env.close(finished)
    if cfg.push_to_hub and env.main:
        push_to_hub(cfg.out, cfg.push_to_hub, cfg.hub_dataset, cfg.hub_results)  # the run's latest checkpoint
    return TrainResult(model, cfg.out / f"step-{step:07d}", step)


class _StopOnSignal:
    """SIGINT (Ctrl-C) or SIGTERM (a scheduler's preemption, `kill`) inside the training loop: the
    step under way finishes and is checkpointed, then the run stops as after Ctrl-C (exit 130, with
    the --resume command), so a stop loses no step. A second signal stops at once, from the last
    checkpoint. Outside the main thread, where Python cannot set handlers, a signal acts as before."""

    def __init__(self) -> None:
        self.received: int | None = None  # the first signal's number
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum
        print(f"gato-train: {signal.Signals(signum).name}: saving a checkpoint after this step, then stopping "
              "(send it again to stop at once)", file=sys.stderr)


def _check_flags(cfg: TrainConfig, evaluate: Evaluator | None) -> None:
    """Fail before any work (on every rank) on flags that cannot run; creates --out."""
    if not cfg.dataset:
        raise UsageError("no --dataset given: pass one or more Minari datasets (gato-collect --out folders)")
    check_numbers(cfg)
    if cfg.eval_every and evaluate is None:
        raise ValueError("--eval-every needs an evaluator: use the gato-train command (rollouts.train), not gato_agent.train")
    if cfg.eval_every and cfg.strategy == "fsdp" and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ValueError("--eval-every runs on rank 0 alone and cannot use a model sharded with --strategy fsdp: "
                         "evaluate the checkpoints with gato-eval")
    if cfg.keep_init_tasks and cfg.init is None and not cfg.resume:
        raise UsageError("--keep-init-tasks keeps the tasks of --init's checkpoint: pass --init too")
    check_loggers(cfg.logger)
    if cfg.push_to_hub:
        require("huggingface_hub", "hub", "--push-to-hub")
    make_out_dir(cfg.out)


def _check_resume(cfg: TrainConfig, state: dict[str, Any], names: list[str], env: Distributed) -> None:
    """A resumed run must see the same tasks, strategy, loss and learning-rate schedule as the one it continues."""
    if state["tasks"] != names:
        raise ValueError(f"--resume: the run was trained on tasks {state['tasks']}, not {names}")
    if sorted(map(upgrade_pattern, state.get("trainable", []))) != sorted(map(upgrade_pattern, cfg.trainable)):
        raise ValueError(f"--resume: the run trained --trainable {state.get('trainable') or 'all weights'}, not "
                         f"{cfg.trainable or 'all weights'}; pass the run's patterns, or start a new run from its weights with --init")
    if state.get("normalize_actions", False) != cfg.normalize_actions:
        raise ValueError(f"--resume: the run was trained {'with' if state.get('normalize_actions') else 'without'} "
                         "--normalize-actions; pass the same, or start a new run from its weights with --init")
    if state.get("strategy", "ddp") != cfg.strategy and env.world > 1:
        raise ValueError(f"--resume: the run was trained with --strategy {state['strategy']}, not {cfg.strategy}")
    schedule = cfg.schedule().to_dict()
    if state.get("schedule", schedule) != schedule:
        raise ValueError(f"--resume: the run's learning-rate schedule is {state['schedule']}, these flags give "
                         f"{schedule}; resuming would bend its cosine curve. Pass the run's values "
                         "(--stop-after N stops a run early without changing them), or start a new run from its weights with --init")


def _sampler_state(state: dict[str, Any], cfg: TrainConfig, rank: int) -> dict[str, Any]:
    """The rank's data position in a checkpoint; a run saved before positions were counted (its
    state a numpy generator's) goes on at the sequence its steps reach, with fresh draws."""
    saved = state["samplers"][rank]
    if "next" in saved:
        return saved
    if rank == 0:
        print("gato-train: --resume: this run's data order was saved by an older gato-train; its next batches are "
              "drawn afresh (from the same datasets)", file=sys.stderr)
    return {"next": int(state["step"]) * cfg.batch_size * cfg.grad_accum}


def _starting_point(cfg: TrainConfig, env: Distributed) -> tuple[Gato, dict[str, Any] | None, dict[str, Task]]:
    """The model to train; with --resume, the trainer state it stopped with; and the tasks that the
    starting checkpoint (the run's own with --resume, else --init's; none without) holds."""
    latest = cfg.out / LATEST_FILE
    if env.main and not cfg.resume and latest.exists():
        raise FileExistsError(f"{cfg.out} already holds a training run: pass --resume to continue it, or another --out")
    if env.main and not cfg.resume:
        _check_fresh_out(cfg.out)
    if cfg.resume:  # the run's own model config wins over --config
        if not latest.exists():
            raise FileNotFoundError(f"--resume: {cfg.out} holds no checkpoint ({LATEST_FILE} is missing)")
        ckpt = _resume_point(cfg.out, env)
        return ckpt.model, ckpt.trainer_state, ckpt.tasks
    try:
        init = load_checkpoint(cfg.init) if cfg.init is not None else None
    except (CheckpointError, FileNotFoundError) as e:
        raise UsageError(f"--init {cfg.init}: {e}") from None
    config = cfg.model_config(None if init is None else init.model.config)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    model = Gato(config)
    if init is not None:
        _load_matching(model, init.model, env.main)
    if init is None:
        return model, None, {}
    if cfg.keep_init_tasks and config.context_length != init.model.config.context_length:
        raise UsageError(f"--keep-init-tasks keeps {cfg.init}'s prompts, cut for its context of "
                         f"{init.model.config.context_length} tokens; train at that context (not {config.context_length})")
    return model, None, init.tasks


def _check_fresh_out(out: Path) -> None:
    """A fresh run goes into an empty --out, or one where a run was started and stopped before its
    first checkpoint (its train_config.json is there, and it starts again); a folder of other files
    (a dataset, a user's metrics.jsonl) is refused, never written over."""
    others = sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)
    if others and RUN_CONFIG not in others:
        shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
        raise FileExistsError(f"--out {out} already holds files ({shown}) and no training run; gato-train never "
                              "writes over them: pick a new or empty --out")


def _freeze(model: Gato, patterns: list[str]) -> None:
    """--trainable: every weight whose name matches none of the glob patterns stops taking
    gradients (and so stays out of the optimizer); no patterns: all weights train."""
    if not patterns:
        return
    names = [name for name, _ in model.named_parameters()]
    patterns = [upgrade_pattern(p) for p in patterns]  # the image encoder's old name, patches.*
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            prefixes = sorted({name.split(".")[0] for name in names})
            raise UsageError(f"--trainable {pattern!r} matches no weight of the model; its weights are named "
                             f"{', '.join(p + '.*' for p in prefixes)} (e.g. {names[0]})")
    for name, param in model.named_parameters():
        param.requires_grad_(any(fnmatch.fnmatchcase(name, p) for p in patterns))


def _resume_point(run: Path, env: Distributed) -> Checkpoint:
    """--resume's checkpoint: the run's latest or, when that one's files are damaged, the newest
    intact step folder that --keep-checkpoints kept. The damaged folders after it are renamed
    `damaged-step-NNNNNNN` (kept for a look, out of the rotation) and `latest` points at the intact one."""
    try:
        return load_checkpoint(run, trainer_state=True)
    except (CheckpointError, FileNotFoundError) as e:
        damaged = e
    for folder in reversed(step_folders(run)):
        try:
            ckpt = load_checkpoint(folder, trainer_state=True)
        except (CheckpointError, FileNotFoundError):
            continue
        env.gather(None)  # every rank has loaded before rank 0 moves folders
        if env.main:
            newer = [f for f in step_folders(run) if f.name > folder.name]
            for bad in newer:
                shutil.rmtree(run / f"damaged-{bad.name}", ignore_errors=True)  # an earlier fallback's
                os.replace(bad, run / f"damaged-{bad.name}")
            write_atomic(run / LATEST_FILE, folder.name + "\n")
            print(f"gato-train: --resume: the latest checkpoint is damaged ({damaged}); going on from {folder.name}, "
                  f"the newest intact one" + (f" ({', '.join(f.name for f in newer)} renamed damaged-*)" if newer else ""),
                  file=sys.stderr)
        return ckpt
    raise CheckpointError(f"--resume: {damaged}; and no older intact step-* folder is left in {run} "
                          "(raise --keep-checkpoints to keep more)")


def _intact(run: Path) -> str:
    """Which checkpoint of the run is whole, for a message: "step N is intact (path)" or that none is."""
    latest = run / LATEST_FILE
    if not latest.is_file():
        return "no checkpoint was saved before it"
    name = latest.read_text().strip()
    return f"step {int(name.removeprefix('step-'))} is intact ({run / name})"


def _plot(run: Path, warn: bool) -> None:
    """Draw loss.png from metrics.jsonl; a failure to write it (a full disk) never hides the run's own
    outcome: after a finished run it is one warning line, after a failed one it is left unsaid."""
    if not (run / "metrics.jsonl").exists():
        return
    try:
        plot_loss(run / "metrics.jsonl", run / "loss.png")
    except OSError as e:
        if warn:
            print(f"gato-train: warning: {run / 'loss.png'} not written ({e.strerror or e})", file=sys.stderr)


def _load_matching(model: Gato, init: Gato, verbose: bool) -> None:
    """--init: copy every weight whose shape is unchanged; the ones --model-overrides reshaped (say,
    the patch block under another frame_stack) or replaced (another image_encoder: the whole
    encoder) keep their fresh initialisation, and are named."""
    own, state = model.state_dict(), init.state_dict()
    new_encoder = replaces_encoder(model.config, init.config)
    fresh = [
        name for name, value in own.items()
        if name not in state or state[name].shape != value.shape or (new_encoder and name.startswith(IMAGE_WEIGHTS))
    ]  # fmt: skip
    model.load_state_dict({k: v for k, v in state.items() if k in own and k not in fresh}, strict=not fresh)
    if fresh and verbose:
        print(f"gato-train: --init: {len(fresh)} tensors start fresh (new, or their shapes changed): {', '.join(fresh)}", file=sys.stderr)


def _save(cfg: TrainConfig, env: Distributed, model: Gato, tasks: dict[str, Task], optimizer: torch.optim.Optimizer,
          amp: MixedPrecision, sampler: MicroBatches, step: int, names: list[str]) -> None:
    """Every rank hands in its data order and RNG state (and under fsdp its shards); rank 0 writes
    the checkpoint."""
    samplers = env.gather(sampler.state_dict())
    rngs = env.gather(torch.get_rng_state())
    weights = env.full_weights(model, cfg.strategy)
    optimizer_state = env.optimizer_state(model, optimizer, cfg.strategy)
    if env.main:
        state = {"step": step, "tasks": names, "schedule": cfg.schedule().to_dict(), "strategy": cfg.strategy, "trainable": cfg.trainable,
                 "normalize_actions": cfg.normalize_actions, "optimizer": optimizer_state, "scaler": amp.state_dict(), "samplers": samplers, "torch_rng": rngs}
        save_run_checkpoint(cfg.out, model, tasks, state, step, cfg.keep_checkpoints, weights)


def main(argv: list[str] | None = None, evaluate: Evaluator | None = None) -> int:
    """gato-train's flag parsing (tyro), with `--recipe FILE` giving the defaults. Failures follow
    gato_agent.cli: one line; exit 2 for bad flags, paths or checkpoints, 1 for a run that failed
    (a full disk), 130 after Ctrl-C (naming the last saved step and the --resume command).
    The gato-train command (rollouts.train) calls it with its evaluator."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv

    def body() -> int:
        args, default = list(argv), TrainConfig()
        if "--recipe" in args:  # a recipe file gives the defaults; flags override it
            i = args.index("--recipe")
            if i + 1 >= len(args):
                raise UsageError("--recipe needs a JSON file")
            default = TrainConfig.from_json(args[i + 1], recipe=Path(args[i + 1]))
            args = args[:i] + args[i + 2 :]
        cfg = tyro.cli(TrainConfig, args=args, default=default, description=__doc__)
        try:
            result = train(cfg, evaluate)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(_interrupted(cfg.out, argv)) from None
        if int(os.environ.get("RANK", "0")) == 0:
            print(f"gato-train: {result.step} steps; checkpoint {result.checkpoint}")
        return 0

    return run_command("gato-train", body, debug, usage=(ValueError, FileNotFoundError, FileExistsError, MissingExtra))


def _interrupted(run: Path, argv: list[str]) -> str:
    """What Ctrl-C leaves: the last saved step and the command that goes on from it."""
    if not (run / LATEST_FILE).is_file():
        return "interrupted before the first checkpoint; nothing to resume: run the same command again to start over"
    again = shlex.join(["gato-train", *argv, *([] if "--resume" in argv else ["--resume"])])
    return f"interrupted; {_intact(run)}; go on from it with: {again}"
