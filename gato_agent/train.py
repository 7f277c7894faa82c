"""gato-train: behaviour cloning of Gato on Minari datasets, on one process or many (torchrun).

    gato-train --dataset data/halfcheetah-expert --dataset data/pong-expert --config tiny --steps 20000 --out ckpt/
    torchrun --nproc-per-node 2 -m gato_agent.train --dataset ... --out ckpt/

Cross-entropy on action tokens only [2.3], each over the ids legal for that action dimension (the
logits of the other 31k+ ids are never computed). AdamW with linear warmup and cosine decay,
gradient clipping [C.1 optimizer settings, scaled down]. Checkpoints go to `--out/step-NNNNNNN/`
with `--out/latest` pointing at the newest; `--resume` continues exactly where that one stopped:
weights, optimizer, schedule, data order and RNG states are all in it.

Under torchrun each rank draws its own sequences (its sampler is seeded with its rank) and DDP
averages gradients (gloo on CPU, nccl on GPU); rank 0 alone writes checkpoints and logs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
import tyro
from torch import Tensor

from gato_agent.checkpoint import LATEST_FILE, Task, load_checkpoint, save_checkpoint
from gato_agent.config import PRESETS, GatoConfig
from gato_agent.data import Batch, SequenceSampler, TaskData, load_task, merge_tasks
from gato_agent.loss_plot import plot_loss
from gato_agent.model import Gato

__all__ = ["TrainConfig", "TrainResult", "ActionLoss", "train", "action_loss", "main"]


@dataclass
class TrainResult:
    """What a finished (or resumed and finished) run leaves."""

    model: Gato  # this rank's model, in train mode
    checkpoint: Path  # the folder of the last checkpoint
    step: int  # optimizer steps done


@dataclass
class TrainConfig:
    """gato-train: behaviour cloning of Gato on Minari datasets (see the README)."""

    recipe: Path | None = None
    """A JSON file of these fields used as the defaults (e.g. the embedded checkpoint's recipe); flags override it."""
    dataset: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Minari datasets, one task each: gato-collect --out folders, Minari data folders or dataset ids (repeatable)."""
    weight: Annotated[list[float], tyro.conf.UseAppendAction] | None = None
    """Sampling weight of each dataset, in --dataset order; default: equal."""
    out: Path = Path("ckpt")
    """Run folder: step-NNNNNNN/ checkpoints, latest, metrics.jsonl, loss.png."""
    config: str = "tiny"
    """Model preset (tiny, small, baseline, large) or the path of a config.json to take the model from."""
    init: Path | None = None
    """A checkpoint (folder or run) whose weights start the run, to fine-tune it; its model config replaces --config."""
    context_length: int | None = None
    """Override the preset's context length (tokens per training sequence)."""
    model_overrides: dict[str, float] = field(default_factory=dict)
    """GatoConfig fields to override in the preset or --init's config (e.g. {"frame_stack": 4,
    "image_channels": 1}); with --init, weights whose shapes they change start fresh."""
    steps: int = 20000
    """Optimizer steps in all (a resumed run continues up to this count)."""
    batch_size: int = 16
    """Sequences per optimizer step on each rank."""
    lr: float = 3e-4
    """Peak learning rate of AdamW."""
    min_lr_ratio: float = 0.1
    """Cosine decay ends at lr * min_lr_ratio."""
    warmup_steps: int = 500
    """Linear warmup steps."""
    weight_decay: float = 0.1
    """AdamW weight decay on matrices (not on norms, biases or embeddings' padding)."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this."""
    prompt_prob: float = 0.25
    """Share of sequences prefixed with a demonstration of the same task [2.3]."""
    executed_actions: bool = True
    """Where a dataset records the executed actions beside the labels (gato-collect --label,
    --action-noise), feed the executed ones as the model's history and train on the labels; false:
    the labels are both history and targets."""
    seed: int = 0
    """Seeds the model init, the data order and the patch-position sampling."""
    checkpoint_every: int = 1000
    """Write a checkpoint every this many steps (and at the end)."""
    keep_checkpoints: int = 2
    """How many step-* folders to keep."""
    log_every: int = 10
    """Append a metrics line every this many steps."""
    eval_every: int = 0
    """Evaluate the policy every this many steps through rollouts.evaluate (gato-train only; 0: never)."""
    eval_episodes: int = 3
    """Episodes per task of each periodic evaluation."""
    resume: bool = False
    """Continue the run in --out from its latest checkpoint."""
    device: str = "auto"
    """cpu, cuda, or auto (cuda when available)."""
    threads: int | None = None
    """torch CPU threads per process; default: torch's choice (with torchrun: cores / processes)."""
    progress: bool = True
    """Show a tqdm bar with loss and tokens/s."""

    @classmethod
    def from_json(cls, path: str | os.PathLike, **overrides: Any) -> TrainConfig:
        """A recipe file (JSON with these field names; unknown keys are an error) plus overrides."""
        values = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown TrainConfig field(s) {unknown}; known: {sorted(known)}")
        values.update(overrides)
        for key in ("out", "recipe", "init"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)


class ActionLoss(NamedTuple):
    """The action cross-entropy of a batch, and per action token what per-task logs need."""

    loss: Tensor  # () mean over the batch's action tokens
    accuracy: Tensor  # () share of action tokens whose greedy prediction is right
    token_loss: Tensor  # (N,) each action token's cross-entropy
    correct: Tensor  # (N,) bool; greedy prediction right
    row: Tensor  # (N,) long; the batch row each action token is in


def action_loss(model: Gato, hidden: Tensor, batch: Batch) -> ActionLoss:
    """Cross-entropy of each action token given the tokens before it, over its legal ids [2.3].

    hidden: (B, L, D). Only positions that precede an action token get logits, and only over the
    control ids (discrete values and continuous bins); ids outside a token's [lo, hi) are masked.
    """
    c = model.config
    where = batch.targets[:, 1:] >= 0  # (B, L-1): position t predicts token t+1
    h = hidden[:, :-1][where]  # (N, D)
    targets, lo, hi = (x[:, 1:][where] for x in (batch.targets, batch.lo, batch.hi))  # (N,)
    table = model.tokens.weight
    control = torch.cat([table[: c.discrete_values], table[c.continuous_offset : c.continuous_offset + c.continuous_bins]])
    logits = h @ control.T  # (N, discrete_values + continuous_bins)
    to_control = lambda ids: torch.where(ids < c.discrete_values, ids, ids - c.continuous_offset + c.discrete_values)
    index = torch.arange(logits.shape[1], device=logits.device)
    legal = (index >= to_control(lo)[:, None]) & (index < to_control(hi - 1)[:, None] + 1)
    logits = logits.masked_fill(~legal, float("-inf"))
    target = to_control(targets)
    token_loss = F.cross_entropy(logits.float(), target, reduction="none")
    correct = logits.argmax(-1) == target
    row = where.nonzero()[:, 0]
    return ActionLoss(token_loss.mean(), correct.float().mean(), token_loss, correct, row)


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warmup to cfg.lr, then cosine decay to cfg.lr * min_lr_ratio at cfg.steps."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def _optimizer(model: Gato, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(("local_pos", "patches.row", "patches.col"))]
    rest = [p for n, p in model.named_parameters() if not any(p is q for q in decay)]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95), fused=device.type == "cuda")


def _model_config(cfg: TrainConfig, base: GatoConfig | None = None) -> GatoConfig:
    overrides = {} if cfg.context_length is None else {"context_length": cfg.context_length}
    types = {f.name: f.type for f in dataclasses.fields(GatoConfig)}
    GatoConfig._checked(cfg.model_overrides)
    overrides.update({k: int(v) if types[k] in (int, "int") else v for k, v in cfg.model_overrides.items()})
    if base is not None:  # --init: the checkpoint's model
        return GatoConfig.from_dict({**base.to_dict(), **overrides})
    if cfg.config in PRESETS:
        return GatoConfig.from_name(cfg.config, **overrides)
    path = Path(cfg.config)
    if not path.is_file():
        raise ValueError(f"--config {cfg.config!r} is neither a preset ({', '.join(PRESETS)}) nor a config.json file")
    values = json.loads(path.read_text())
    return GatoConfig.from_dict({**values.get("model", values), **overrides})


class _Distributed:
    """torchrun's environment, or a single process."""

    def __init__(self, device: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
        self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def gather(self, value: Any) -> list[Any]:
        if self.world == 1:
            return [value]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, value)
        return out

    def close(self, finished: bool) -> None:
        """Leave the process group; after a finished run all ranks first wait for each other, so
        none tears gloo down while another still works (seen to abort the early rank)."""
        if self.world > 1:
            if finished:
                dist.barrier()
            dist.destroy_process_group()


Evaluator = Callable[[Gato, dict[str, Task], "TrainConfig", int], dict[str, float]]


def train(cfg: TrainConfig, evaluate: Evaluator | None = None) -> TrainResult:
    """Run (or resume) a training run to cfg.steps.

    `evaluate(model, tasks, cfg, step)` is called every cfg.eval_every steps on rank 0 and its
    numbers are logged; the gato-train command passes one built on rollouts.evaluate.
    """
    if not cfg.dataset:
        raise ValueError("no --dataset given: pass one or more Minari datasets (gato-collect --out folders)")
    if cfg.eval_every and evaluate is None:
        raise ValueError("--eval-every needs an evaluator: use the gato-train command (rollouts.train), not gato_agent.train")
    env = _Distributed(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = cfg.out
    latest = out / LATEST_FILE
    if env.main and not cfg.resume and latest.exists():
        raise FileExistsError(f"{out} already holds a training run: pass --resume to continue it, or another --out")
    if cfg.resume and not latest.exists():
        raise FileNotFoundError(f"--resume: {out} holds no checkpoint ({LATEST_FILE} is missing)")

    init = load_checkpoint(cfg.init) if cfg.init is not None and not cfg.resume else None
    config = _model_config(cfg) if init is None else _model_config(cfg, init.model.config)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    model = Gato(config)
    if init is not None:
        _load_matching(model, init.model.state_dict(), env.main)
    step, resume_state = 0, None
    if cfg.resume:  # the run's own model config wins over --config
        ckpt = load_checkpoint(out, trainer_state=True)
        model, config = ckpt.model, ckpt.model.config
        resume_state = ckpt.trainer_state
        step = int(resume_state["step"])
    tasks, weights = merge_tasks([load_task(path, config, executed_actions=cfg.executed_actions) for path in cfg.dataset], cfg.weight)
    names = [t.name for t in tasks]
    if resume_state is not None and resume_state["tasks"] != names:
        raise ValueError(f"--resume: the run was trained on tasks {resume_state['tasks']}, not {names}")
    model.to(env.device).train()
    sampler = SequenceSampler(tasks, weights, config.context_length, cfg.seed, env.rank, cfg.prompt_prob)
    optimizer = _optimizer(model, cfg, env.device)
    if resume_state is not None:
        optimizer.load_state_dict(resume_state["optimizer"])
        sampler.load_state_dict(resume_state["samplers"][env.rank])
        torch.set_rng_state(resume_state["torch_rng"][env.rank])
    # batches without images leave the patch block unused: find_unused_parameters
    net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True) if env.world > 1 else model
    task_meta = {
        t.name: Task(t.obs_codec.space, t.act_codec.space, t.prompt(config.context_length // 2),
                     {"dataset": t.source, "episodes": len(t.episodes), "steps": t.num_steps,
                      "return_mean": float(np.mean([e.ret for e in t.episodes])),
                      "return_max": float(max(e.ret for e in t.episodes))})
        for t in tasks
    }
    if env.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "train_config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2, default=str) + "\n")
    log = _Log(out, env.main, cfg.progress, step, cfg.steps, names)
    finished = False
    try:
        while step < cfg.steps:
            started = time.perf_counter()
            batch = sampler.sample(cfg.batch_size).to(env.device)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(cfg, step)
            result = action_loss(model, net(batch.tokens), batch)
            optimizer.zero_grad(set_to_none=True)
            result.loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            step += 1
            tokens = int((batch.tokens.ids.shape[0] * batch.tokens.ids.shape[1])) * env.world
            log.tasks(batch.task[result.row], result.token_loss, result.correct)
            log.step(step, result.loss.item(), result.accuracy.item(), grad_norm.item(), optimizer.param_groups[0]["lr"],
                     tokens / (time.perf_counter() - started), cfg.log_every)
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                _save(out, model, task_meta, optimizer, sampler, env, step, names, cfg.keep_checkpoints)
            if cfg.eval_every and step % cfg.eval_every == 0 and env.main:
                model.eval()
                log.record(step, evaluate(model, task_meta, cfg, step))
                model.train()
        finished = True
    finally:
        log.close()
        env.close(finished)
    return TrainResult(model, out / f"step-{step:07d}", step)


def _load_matching(model: Gato, state: dict[str, Tensor], verbose: bool) -> None:
    """--init: copy every weight whose shape is unchanged; the ones --model-overrides reshaped (say,
    the patch block under another frame_stack) keep their fresh initialisation, and are named."""
    own = model.state_dict()
    fresh = [name for name, value in own.items() if name not in state or state[name].shape != value.shape]
    model.load_state_dict({k: v for k, v in state.items() if k not in fresh}, strict=not fresh)
    if fresh and verbose:
        print(f"gato-train: --init: {len(fresh)} tensors start fresh (their shapes changed): {', '.join(fresh)}", file=sys.stderr)


def _save(out: Path, model: Gato, tasks: dict[str, Task], optimizer, sampler: SequenceSampler,
          env: _Distributed, step: int, names: list[str], keep: int) -> None:
    samplers = env.gather(sampler.state_dict())
    rngs = env.gather(torch.get_rng_state())
    if not env.main:
        return
    state = {"step": step, "tasks": names, "optimizer": optimizer.state_dict(), "samplers": samplers, "torch_rng": rngs}
    name = f"step-{step:07d}"
    tmp = out / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    save_checkpoint(tmp, model, tasks, trainer_state=_plain(state))
    shutil.rmtree(out / name, ignore_errors=True)
    os.replace(tmp, out / name)
    pointer = out / f".{LATEST_FILE}.tmp"
    pointer.write_text(name + "\n")
    os.replace(pointer, out / LATEST_FILE)
    for old in sorted(out.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _plain(state: Any) -> Any:
    """numpy scalars and ints inside the samplers' bit generator states -> Python ints (weights_only loading)."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_plain(v) for v in state]
    if isinstance(state, np.integer):
        return int(state)
    return state


class _Log:
    """tqdm bar, metrics.jsonl and the loss curves, on rank 0 only.

    Each metrics row holds the step's loss and accuracy and, per task, the loss and accuracy over
    all of rank 0's action tokens of that task since the previous row (`task_loss`,
    `task_accuracy`; a task drawn in none of those batches is left out).
    """

    def __init__(self, out: Path, main: bool, progress: bool, step: int, steps: int, names: list[str]):
        self.main = main
        self.path = out / "metrics.jsonl"
        self.names = names
        self.sums = torch.zeros(3, len(names), dtype=torch.float64)  # (loss, correct, tokens) per task
        self.bar = None
        if main and progress:
            from tqdm import tqdm

            self.bar = tqdm(total=steps, initial=step, desc="gato-train", dynamic_ncols=True)

    def tasks(self, task: Tensor, token_loss: Tensor, correct: Tensor) -> None:
        """Add one batch's action tokens: task, token_loss, correct (N,)."""
        if self.main:
            for k, value in enumerate((token_loss, correct, torch.ones_like(token_loss))):
                self.sums[k].index_add_(0, task.cpu(), value.detach().cpu().double())

    def step(self, step: int, loss: float, accuracy: float, grad_norm: float, lr: float, tokens_per_s: float, every: int) -> None:
        if not self.main:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{tokens_per_s:.0f}", refresh=False)
        if step % every == 0:
            loss_sum, correct, count = self.sums
            seen = [i for i in range(len(self.names)) if count[i] > 0]
            self.record(step, {"loss": loss, "accuracy": accuracy, "grad_norm": grad_norm, "lr": lr, "tokens_per_s": tokens_per_s,
                               "task_loss": {self.names[i]: (loss_sum[i] / count[i]).item() for i in seen},
                               "task_accuracy": {self.names[i]: (correct[i] / count[i]).item() for i in seen}})
            self.sums.zero_()

    def record(self, step: int, values: dict[str, Any]) -> None:
        if self.main:
            with self.path.open("a") as f:
                f.write(json.dumps({"step": step, "time": time.time(), **values}) + "\n")

    def close(self) -> None:
        if not self.main:
            return
        if self.bar is not None:
            self.bar.close()
        if self.path.exists():
            plot_loss(self.path, self.path.with_name("loss.png"))


def main(argv: list[str] | None = None, evaluate: Evaluator | None = None) -> int:
    """Entry point: parse flags with tyro, train, report errors plainly."""
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
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"gato-train: error: {e}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"gato-train: {result.step} steps; checkpoint {result.checkpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
