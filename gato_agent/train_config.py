"""gato-train's flags: one dataclass (tyro turns the field docstrings into --help), recipe files,
and the model config and schedule that the flags name."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import tyro

from gato_agent.cli import UsageError, check_number, check_seed
from gato_agent.config import PRESETS, GatoConfig
from gato_agent.distributed import Strategy
from gato_agent.loggers import LoggerName
from gato_agent.optim import CosineSchedule
from gato_agent.precision import PrecisionName

__all__ = ["TrainConfig", "task_history_noise", "task_context_steps", "task_prompt_prob"]


@dataclass
class TrainConfig:
    """gato-train: behaviour cloning of Gato on Minari datasets (see the README)."""

    recipe: Path | None = None
    """A JSON file of these fields used as the defaults (e.g. the embedded checkpoint's recipe); flags override it."""
    dataset: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Datasets, one task each (repeatable): gato-collect --out folders, Minari data folders, Minari
    dataset ids (namespace/name-vN: the local Minari cache, else downloaded), hf:<org>/<namespace>/<name>-vN
    (a Minari dataset on the Hub), jat:<config> (a config of JAT's dataset, e.g. jat:mujoco-hopper;
    extra jat) or jat:<folder> (a folder of its parquet files, named like the config)."""
    weight: Annotated[list[float], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Sampling weight of each dataset, in --dataset order (repeatable, one per --dataset); none: equal."""
    out: Path = Path("ckpt")
    """Run folder: step-NNNNNNN/ checkpoints, latest, metrics.jsonl, loss.png."""
    config: str = "tiny"
    """Model preset (tiny, small, baseline, large) or the path of a config.json to take the model from."""
    init: Path | None = None
    """A checkpoint (folder, run, or Hub repo hf://org/name) whose weights start the run, to fine-tune it; its model config replaces --config."""
    trainable: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Train only the weights whose names match one of these glob patterns (e.g. "images.*", the
    image encoder, which only image tasks read, or "images.trunks.1.*", one CNN trunk); every other
    weight stays as --init left it. Default: all weights. The names are those of
    Gato.named_parameters(): images, tokens, blocks.N, ... (the older "patches.*" means "images.*")."""
    keep_init_tasks: bool = False
    """With --init, keep its tasks that these datasets do not hold in every checkpoint (their spaces
    and prompts), for a run whose --trainable weights those tasks never read."""
    context_length: int | None = None
    """Override the preset's context length (tokens per training sequence)."""
    model_overrides: dict[str, float | str] = field(default_factory=dict)
    """GatoConfig fields to override in the preset or --init's config (e.g. {"frame_stack": 4,
    "image_channels": 1, "image_encoder": "cnn"}); with --init, weights whose shapes they change
    (or the whole image encoder, when they replace it) start fresh."""
    steps: int = 20000
    """Optimizer steps in all; the cosine schedule ends here, so --resume refuses another value."""
    stop_after: int | None = None
    """Stop (with a checkpoint) once this many steps are done, keeping the schedule of --steps; --resume goes on."""
    batch_size: int = 16
    """Sequences per micro-batch on each rank (an optimizer step takes --grad-accum of them)."""
    grad_accum: int = 1
    """Micro-batches per optimizer step: the step's gradient is that of one batch of grad_accum *
    batch_size sequences (per rank), at the memory of one micro-batch."""
    cache_mb: int = 512
    """Tokenized episodes each process (and each --workers worker) keeps in memory, in MiB; episodes
    are read from their files when first sampled, so memory is bounded by this, not by the datasets' size."""
    workers: int = 0
    """DataLoader worker processes that build batches ahead of the model (0: in the training
    process); the batches are the same for every value."""
    lr: float = 3e-4
    """Peak learning rate of AdamW."""
    min_lr_ratio: float = 0.1
    """Cosine decay ends at lr * min_lr_ratio."""
    warmup_steps: int = 500
    """Linear warmup steps."""
    weight_decay: float = 0.1
    """AdamW weight decay on matrices (not on norms, biases or position tables)."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this."""
    prompt_prob: float = 0.25
    """Share of sequences prefixed with a demonstration of the same task [2.3]."""
    history_noise: float = 0.0
    """Chance that each action token a training sequence holds as input (the action history the
    model reads) is replaced by a uniformly random legal one, the targets keeping the labels; for
    every task of the run. Against the copycat problem of behaviour cloning from histories (de Haan
    et al. 2019, Wen et al. 2020): a model that can repeat its last action need not read the
    observation (docs/default-checkpoint.md measures it on Breakout). 0: the paper's training."""
    episode_start_prob: float = 0.0
    """Chance that a training sequence's episode window begins at its episode's first step, as the
    agent's context does at run time; otherwise its start is uniform over the episode. A uniform
    window of 18 steps holds a 1000-step episode's first steps 2% of the time, and the generalist's
    Hopper and Walker2d actions are 5-8x further from their labels in an episode's first 5 steps
    than after step 20 (experiments/diary.md). 0: the paper's uniform windows. Not for the tasks of
    --task-context-steps, whose short windows start uniformly."""
    task_history_noise: dict[str, float] = field(default_factory=dict)
    """--history-noise for some tasks only, by task id (e.g. `--task-history-noise ALE/Breakout-v5
    1.0`; in a recipe, {"ALE/Breakout-v5": 1.0}); the others keep --history-noise."""
    task_context_steps: dict[str, int] = field(default_factory=dict)
    """For some tasks, by task id, the most timesteps a training window holds (the current one
    included), with no prompt unless --window-prompts; a sequence of such a task packs as many windows as fit, each
    attending only within itself. The checkpoint records it and the agent then acts on as many
    (`--task-context-steps Meta-World/hammer-v3 1 Meta-World/reach-v3 1`, all pairs after one flag;
    in a recipe, {"Meta-World/hammer-v3": 1}). Against the copycat problem through observations: a
    history of states shows the previous actions, and a model that repeats them need not read the
    state (experiments/diary.md measures it on Meta-World). The others: as many as the context holds."""
    window_prompts: bool = False
    """The tasks of --task-context-steps are prompted too [2.4]: with --prompt-prob, a sequence of
    one begins with a demonstration of the task (at most half the context), which all its windows
    see; the checkpoint keeps the task's prompt, and the agent acts on it and the last
    context_steps timesteps. For tasks whose states alone do not say which task they are
    (Meta-World's button-press-topdown and button-press-topdown-wall start from the same states
    and differ in the gripper). Off: their windows have no prompt."""
    task_prompt_prob: dict[str, float] = field(default_factory=dict)
    """--prompt-prob for some tasks only, by task id (`--task-prompt-prob Meta-World/reach-v3 0.5
    Meta-World/pick-place-v3 0.5`; in a recipe, {"Meta-World/reach-v3": 0.5}). A task of
    --task-context-steps named here is prompted at its chance with or without --window-prompts, and
    the checkpoint keeps its prompt: --window-prompts for the few tasks that need one, such as the
    Meta-World pairs that start from the same states (experiments/mw_twins.py). The others keep
    --prompt-prob (the windowed ones none, unless --window-prompts)."""
    label_sigma: float = 0.0
    """With > 0, each continuous action token is trained against a Gaussian of this std (on the
    [-1, 1] action scale) over the 1024 bins instead of its one bin (HL-Gauss, Farebrother et al.
    2024; gato_agent.loss): the loss then knows that a bin next to the label is nearly right.
    Discrete actions keep one-hot targets. 0: the paper's one-hot cross-entropy."""
    normalize_actions: bool = False
    """With a "regression" model (continuous_actions): divide each continuous action token's squared
    error by its task's variance of action values, measured on its data (gato_agent.loss), so that a
    task whose actions span little of [-1, 1] (the pendulums) is learnt as precisely as the wide ones
    of a mixture; metrics.jsonl then logs the divided loss. Off: plain squared error. Each
    checkpoint records the variances it divided by (its tasks' info "action_variance")."""
    init_action_variance: bool = True
    """With --normalize-actions and an --init checkpoint that recorded its tasks' action variances:
    those tasks keep them, and only the others are measured on this run's data. The labels of the
    model's own balanced double pendulum (a DAgger set) vary 120x less than its demonstrations'
    (0.0004 against 0.047), and dividing by that lets one task swamp the gradient
    (experiments/diary.md, "The ninth DAgger round, shipped"). False: measure every task on this
    run's data."""
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
    logger: Annotated[list[LoggerName], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Also log to tensorboard (--out/tensorboard) or wandb (W&B, files under --out/wandb); repeatable.
    metrics.jsonl is always written. Each needs its extra: pip install 'gato-agent[tensorboard]' / '[wandb]'."""
    wandb_project: str = "gato-agent"
    """The W&B project of --logger wandb."""
    eval_every: int = 0
    """Evaluate the policy every this many steps through rollouts.evaluate (gato-train only; 0: never)."""
    eval_episodes: int = 3
    """Episodes per task of each periodic evaluation."""
    push_to_hub: str | None = None
    """At the end, upload the last checkpoint with a model card to this Hugging Face Hub repo (org/name); needs gato-agent[hub]."""
    hub_dataset: Annotated[list[str], tyro.conf.UseAppendAction] = field(default_factory=list)
    """Hub dataset ids that the model card's metadata names (repeatable)."""
    hub_results: Path | None = None
    """A gato-eval results.json whose scores the model card shows as a table (and that is uploaded beside it)."""
    resume: bool = False
    """Continue the run in --out from its latest checkpoint."""
    device: str = "auto"
    """cpu, cuda, or auto (cuda when available)."""
    strategy: Strategy = "ddp"
    """Under torchrun: ddp (a whole model per rank) or fsdp (blocks sharded over the ranks, for baseline and large)."""
    precision: PrecisionName = "auto"
    """fp32, bf16 or fp16 (torch.autocast; fp16 with a GradScaler); auto: bf16 on CUDA devices that support it, else fp32."""
    threads: int | None = None
    """torch CPU threads per process; default: torch's choice (with torchrun: cores / processes)."""
    progress: bool = True
    """Show a tqdm bar with loss and tokens/s."""
    debug: bool = False
    """Print the traceback of a failure too (without it, a bad input or a failed run is one line)."""

    @classmethod
    def from_json(cls, path: str | os.PathLike, **overrides: Any) -> TrainConfig:
        """A recipe file (JSON with these field names; unknown keys are an error) plus overrides."""
        values = _read_json(Path(path), "--recipe")
        if not isinstance(values, dict):
            raise ValueError(f"--recipe {path}: a recipe is a JSON object of gato-train's fields, not {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown TrainConfig field(s) {unknown}; known: {sorted(known)}")
        values.update(overrides)
        for key in ("out", "recipe", "init", "hub_results"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)

    def schedule(self) -> CosineSchedule:
        """The learning-rate schedule these flags give."""
        return CosineSchedule(self.lr, self.min_lr_ratio, self.warmup_steps, self.steps)

    def model_config(self, base: GatoConfig | None = None) -> GatoConfig:
        """The model to train: `base` (an --init checkpoint's) or --config, with --context-length
        and --model-overrides."""
        overrides = {} if self.context_length is None else {"context_length": self.context_length}
        types = {f.name: f.type for f in dataclasses.fields(GatoConfig)}
        GatoConfig._checked(self.model_overrides)
        overrides.update({k: _integer(k, v) if types[k] in (int, "int") else v for k, v in self.model_overrides.items()})
        if base is not None:
            return GatoConfig.from_dict({**base.to_dict(), **overrides})
        if self.config in PRESETS:
            return GatoConfig.from_name(self.config, **overrides)
        path = Path(self.config)
        if not path.is_file():
            raise ValueError(f"--config {self.config!r} is neither a preset ({', '.join(PRESETS)}) nor a config.json file")
        values = _read_json(path, "--config")
        try:
            return GatoConfig.from_dict({**values.get("model", values), **overrides})
        except (ValueError, AttributeError) as e:
            raise ValueError(f"--config {path}: {e}") from None


def _read_json(path: Path, flag: str) -> Any:
    """The JSON in `path`, or a ValueError naming the flag and the file."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{flag} {path}: no such file") from None
    except (OSError, ValueError) as e:
        raise ValueError(f"{flag} {path} is not a readable JSON file ({e})") from None


def _integer(name: str, value: float | str) -> int:
    """A --model-overrides value of an integer field, or ValueError naming the field and the value."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise ValueError(f"--model-overrides {name} {value}: {name} takes an integer")
    return int(number)


def check_numbers(cfg: TrainConfig) -> None:
    """UsageError naming the first numeric flag whose value cannot run, and what it accepts."""
    for flag, value in (("--steps", cfg.steps), ("--stop-after", cfg.stop_after), ("--batch-size", cfg.batch_size),
                        ("--checkpoint-every", cfg.checkpoint_every), ("--keep-checkpoints", cfg.keep_checkpoints),
                        ("--log-every", cfg.log_every), ("--grad-accum", cfg.grad_accum), ("--eval-episodes", cfg.eval_episodes),
                        ("--context-length", cfg.context_length), ("--threads", cfg.threads)):
        check_number(flag, value, low=1)
    check_seed("--seed", cfg.seed)
    for flag, value in (("--workers", cfg.workers), ("--cache-mb", cfg.cache_mb), ("--warmup-steps", cfg.warmup_steps),
                        ("--eval-every", cfg.eval_every), ("--weight-decay", cfg.weight_decay)):
        check_number(flag, value, low=0)
    check_number("--lr", cfg.lr, low=0, low_open=True)
    check_number("--grad-clip", cfg.grad_clip, low=0, low_open=True)
    check_number("--min-lr-ratio", cfg.min_lr_ratio, low=0, high=1)
    check_number("--prompt-prob", cfg.prompt_prob, low=0, high=1)
    check_number("--history-noise", cfg.history_noise, low=0, high=1)
    check_number("--episode-start-prob", cfg.episode_start_prob, low=0, high=1)
    check_number("--label-sigma", cfg.label_sigma, low=0, high=2)
    for task, value in cfg.task_history_noise.items():
        check_number(f"--task-history-noise {task}", value, low=0, high=1)
    for task, value in cfg.task_prompt_prob.items():
        check_number(f"--task-prompt-prob {task}", value, low=0, high=1)
    for task, value in cfg.task_context_steps.items():
        check_number(f"--task-context-steps {task}", value, low=1)
    if cfg.window_prompts and not cfg.task_context_steps:
        raise UsageError("--window-prompts prompts the tasks of --task-context-steps, and it names none: "
                         "name them, or drop --window-prompts (the other tasks are prompted already)")
    for value in cfg.weight or []:
        check_number("--weight", value, low=0)
    if cfg.weight and len(cfg.weight) != len(cfg.dataset):
        raise UsageError(f"--weight is given {len(cfg.weight)} times for {len(cfg.dataset)} --dataset: give one per dataset, or none")
    if cfg.weight and not sum(cfg.weight) > 0:
        raise UsageError(f"--weight: at least one dataset needs a weight above 0, got {cfg.weight}")


def task_history_noise(cfg: TrainConfig, names: list[str]) -> list[float]:
    """Each task's history noise, in `names` order: --task-history-noise where it names the task,
    else --history-noise."""
    _check_named("--task-history-noise", cfg.task_history_noise, names)
    return [cfg.task_history_noise.get(name, cfg.history_noise) for name in names]


def task_prompt_prob(cfg: TrainConfig, names: list[str]) -> list[float]:
    """Each task's chance of a prompt, in `names` order: --task-prompt-prob where it names the task,
    else --prompt-prob, which a task of --task-context-steps takes only under --window-prompts."""
    _check_named("--task-prompt-prob", cfg.task_prompt_prob, names)
    default = {name: cfg.prompt_prob if cfg.window_prompts or name not in cfg.task_context_steps else 0.0 for name in names}
    return [cfg.task_prompt_prob.get(name, default[name]) for name in names]


def task_context_steps(cfg: TrainConfig, names: list[str], step_tokens: list[int], context_length: int) -> list[int | None]:
    """Each task's --task-context-steps in `names` order (None where it names none), checked to fit
    the context with the task's `step_tokens` tokens a timestep."""
    _check_named("--task-context-steps", cfg.task_context_steps, names)
    for name, size in zip(names, step_tokens):
        steps = cfg.task_context_steps.get(name)
        if steps is not None and steps * size > context_length:
            raise UsageError(f"--task-context-steps {name} {steps}: {steps} timesteps of {size} tokens do not fit in the "
                             f"context of {context_length}; at most {context_length // size}")
    return [cfg.task_context_steps.get(name) for name in names]


def _check_named(flag: str, per_task: dict[str, Any], names: list[str]) -> None:
    """UsageError when a per-task flag names a task that is not among the run's."""
    unknown = sorted(set(per_task) - set(names))
    if unknown:
        raise UsageError(f"{flag} names {', '.join(unknown)}, not a task of these datasets; their tasks: {', '.join(names)}")
