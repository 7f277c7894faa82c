"""Pre-train a frame encoder as a classifier of an Atari demonstrator, then hand it to a Gato.

    python -m rollouts.pretrain_encoder --dataset data/atari/breakout --heldout data/atari/breakout-heldout \
        --checkpoint runs/atari-stack --minutes 12 --eval-every 2 --threads 1

A Nature-DQN CNN sees exactly the frames the Gato sees: the datasets are loaded with a Gato
checkpoint's config (`--checkpoint`, default the embedded one; its image size, grayscale and frame
stacking, which `--frame-stack` and `--image-channels` override), so the two differ only in the
network that reads them. It trains with plain cross-entropy on the demonstrator's labels (Adam, one
sample = one timestep's frame stack; with datasets of several tasks, one shared CNN with a head per
task and a batch of each task every step) and prints, every `--eval-every` minutes, its greedy
agreement with the demonstrator on the held-out episodes, its agreement where the label changes
from the step before's (where the frame, not habit, must decide), and the recall of each action
(how often a step labelled with that action is predicted as it), beside the always-most-common-action
baseline.
`--net gato` trains the Gato's own patch block and transformer the same way instead, one timestep
at a time (its pixel pathway with no action history; `--gato-weights` starts it from the
checkpoint's weights). Minutes are wall time on whatever else the machine runs: compare runs made
side by side, and read the samples column where they were not.

`--save-init DIR` (with `--net cnn`) then writes the checkpoint's model with this trained CNN as its
image encoder (`image_encoder='cnn'`; the projection into the token width starts fresh), for
`gato-train --init DIR`: the pre-trained frame encoder of the shipped checkpoint's build
(recipes/build.sh, docs/default-checkpoint.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import Tensor, nn

from gato_agent.checkpoint import Checkpoint, load_checkpoint, save_checkpoint_whole
from gato_agent.config import GatoConfig
from gato_agent.data import TaskData, load_task, merge_tasks
from gato_agent.model import Gato
from gato_agent.images import PREFIX, patchify, uses_patches
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.timestep import FrameStacker, Timestep
from gato_agent.tokenizer import TokenBatch


class Frames:
    """Every step of a task's episodes as (frame stack, label) samples, stacked on demand."""

    def __init__(self, task: TaskData, config: GatoConfig):
        if task.act_codec.num_tokens != 1 or task.obs_codec.num_images != 1:
            raise ValueError(f"{task.name}: the CNN reference needs one image and one discrete action a step")
        self.stacker = FrameStacker(config.frame_stack)
        self.frames = torch.from_numpy(np.concatenate([e.images[:, 0] for e in task.episodes]))  # (N, C, H, W) uint8
        self.labels = torch.from_numpy(np.concatenate([e.ids[:, -1] for e in task.episodes]).astype(np.int64))  # (N,)
        starts = np.cumsum([0] + [len(e.ids) for e in task.episodes[:-1]])
        self.first = torch.from_numpy(np.repeat(starts, [len(e.ids) for e in task.episodes]))  # (N,) episode start
        previous = torch.cat([self.labels[:1], self.labels[:-1]])  # (N,) the step before's label
        self.changes = (self.labels != previous) & (torch.arange(len(self.labels)) != self.first)  # (N,) bool
        self.num_actions = task.act_codec.ranges[0][1]

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """index (B,) -> float stacks (B, k * C, H, W) in [0, 1], oldest frame first, and labels (B,)."""
        x = self.stacker.gather(self.frames, index, self.first[index])  # (B, k * C, H, W)
        return x.float() / 255.0, self.labels[index]


class NatureCNN(nn.Module):
    """Mnih et al. 2015's network: three convolutions and a 512-unit layer (1.7M parameters at
    84x84x4), shared by the tasks, and one linear head per task (its actions)."""

    def __init__(self, channels: int, height: int, width: int, actions: list[int]):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten(),
        )
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, channels, height, width)).shape[1]
        self.hidden = nn.Sequential(nn.Linear(flat, 512), nn.ReLU())
        self.heads = nn.ModuleList(nn.Linear(512, n) for n in actions)

    def forward(self, x: Tensor, task: int = 0) -> Tensor:
        """x (B, C, H, W) -> logits (B, actions of task `task`)."""
        return self.heads[task](self.hidden(self.conv(x)))


class GatoStep(nn.Module):
    """The Gato's own pixel pathway at the first step of a window, trained as a classifier: one
    frame stack's patches and the separator go through the patch block and the transformer, and
    the action is read at the separator through the tied head, exactly as the full model reads it
    when no action history is in its context. `model` is a fresh or a checkpoint's Gato."""

    def __init__(self, model: Gato, actions: int):
        super().__init__()
        self.model, self.actions = model, actions
        config = model.config
        frame = spaces.Box(0, 255, (config.image_height, config.image_width), np.uint8)  # one image a step
        self.layout = Timestep(ObservationCodec(frame, config), ActionCodec(spaces.Discrete(actions), config))

    def forward(self, x: Tensor, task: int = 0) -> Tensor:
        """x (B, C, H, W) in [0, 1] -> logits (B, actions); one task only."""
        config, layout = self.model.config, self.layout
        patches = patchify(x * 255.0, config.patch_size)  # (B, P, C, p, p), as the tokenizer makes them
        b, n = patches.shape[:2]
        ids = torch.zeros(b, n + 1, dtype=torch.long)  # the observation's patches, then the separator
        ids[:, -1] = config.separator_id
        tokens = TokenBatch(ids, layout.local_pos[: n + 1].expand(b, -1), layout.patch_mask[: n + 1].expand(b, -1),
                            patches.flatten(0, 1), layout.patch_idx.repeat(b))
        return self.model.logits(self.model(tokens)[:, -1], 0, self.actions)  # (B, actions)


def save_init(cnn: NatureCNN, source: Checkpoint, config: GatoConfig, out: str) -> None:
    """Write `source`'s weights with `cnn` as the image encoder of a `config` Gato, at `out`; with
    `source`'s tasks and prompts when its config is that one (for `gato-train --init out --keep-init-tasks`)."""
    gato = Gato(dataclasses.replace(config, image_encoder="cnn"))
    state = {k: v for k, v in source.model.state_dict().items() if not k.startswith(PREFIX)}
    state.update({f"{PREFIX}trunks.0.conv.{k}": v for k, v in cnn.conv.state_dict().items()})
    state.update({f"{PREFIX}trunks.0.hidden.{k}": v for k, v in cnn.hidden[0].state_dict().items()})
    missing, unexpected = gato.load_state_dict(state, strict=False)
    assert not unexpected and sorted(missing) == [f"{PREFIX}trunks.0.proj.bias", f"{PREFIX}trunks.0.proj.weight"], (missing, unexpected)
    tasks = source.tasks if gato.config == source.model.config else {}  # prompts are tokenized for their config
    print(f"wrote {save_checkpoint_whole(out, gato, tasks)}: the Gato with this CNN as its image encoder"
          + ("" if tasks else " (no tasks: the source's prompts were tokenized for another image config)"))


def held_out(model: nn.Module, data: Frames, task: int) -> tuple[float, float, list[float]]:
    """Greedy agreement over every held-out step of task `task`; agreement at the steps whose label
    differs from the step before's in its episode (NaN: none), where a policy must read the frame
    rather than keep doing what it did; and each action's recall (NaN: never labelled)."""
    model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(data), 1024):
            x, _ = data.batch(torch.arange(start, min(start + 1024, len(data))))
            predicted.append(model(x, task).argmax(-1))
    model.train()
    pred = torch.cat(predicted)
    correct = (pred == data.labels).float()  # (N,)
    recall = [float((pred[data.labels == a] == a).float().mean()) if (data.labels == a).any() else float("nan")
              for a in range(data.num_actions)]
    changes = float(correct[data.changes].mean()) if data.changes.any() else float("nan")
    return float(correct.mean()), changes, recall


def build_parser() -> argparse.ArgumentParser:
    """The command line of `python -m rollouts.pretrain_encoder`."""
    parser = argparse.ArgumentParser(prog="python -m rollouts.pretrain_encoder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", required=True,
                        help="training Minari dataset(s); with --net cnn of one task or several (a head each, one shared CNN)")
    parser.add_argument("--heldout", action="append", required=True, help="held-out Minari dataset(s) of the same task(s)")
    parser.add_argument("--checkpoint", default=None, help="Gato checkpoint whose image config to use (default: embedded)")
    parser.add_argument("--frame-stack", type=int, default=None, help="override the checkpoint's frame_stack")
    parser.add_argument("--image-channels", type=int, default=None, help="override its image_channels (1: grayscale)")
    parser.add_argument("--image-height", type=int, default=None, help="override the height frames are resized to")
    parser.add_argument("--image-width", type=int, default=None, help="override the width frames are resized to")
    parser.add_argument("--net", choices=("cnn", "gato"), default="cnn",
                        help="cnn: the Nature CNN; gato: the Gato's patch block and transformer on one timestep")
    parser.add_argument("--gato-weights", action="store_true",
                        help="with --net gato: start from --checkpoint's weights (default: a fresh init of its config)")
    parser.add_argument("--minutes", type=float, default=12.0, help="training wall time")
    parser.add_argument("--eval-every", type=float, default=2.0, help="minutes between held-out evaluations")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-init", default=None,
                        help="with --net cnn: write --checkpoint's model with this CNN as its image encoder here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Train, report held-out agreement, and write --save-init; argparse exits 2 on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.save_init and args.net != "cnn":
        parser.error("--save-init needs --net cnn")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    checkpoint = load_checkpoint(args.checkpoint)
    source = checkpoint.model
    config = source.config
    overrides = {"frame_stack": args.frame_stack, "image_channels": args.image_channels,
                 "image_height": args.image_height, "image_width": args.image_width}
    config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if args.net == "gato" and not uses_patches(config):
        parser.error(f"--net gato trains the patch pathway; {args.checkpoint or 'the embedded checkpoint'} has "
                     "a CNN image encoder (what --net cnn trains)")
    train_tasks, _ = merge_tasks([load_task(p, config) for p in args.dataset], None)
    test_tasks, _ = merge_tasks([load_task(p, config) for p in args.heldout], None)
    names = [t.name for t in train_tasks]
    if sorted(t.name for t in test_tasks) != sorted(names):
        parser.error(f"--heldout holds tasks {sorted(t.name for t in test_tasks)}; --dataset holds {sorted(names)}: give each a held-out set")
    if args.net == "gato" and len(names) > 1:
        parser.error(f"--net gato trains one task; --dataset holds {', '.join(names)}")
    train = [Frames(t, config) for t in train_tasks]
    test = [Frames(next(h for h in test_tasks if h.name == name), config) for name in names]
    if args.net == "cnn":
        model = NatureCNN(config.patch_channels, config.image_height, config.image_width, [d.num_actions for d in train])
    else:
        gato = Gato(config)
        if args.gato_weights:
            gato.load_state_dict(source.state_dict())
        model = GatoStep(gato, train[0].num_actions)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"input {config.patch_channels}x{config.image_height}x{config.image_width}; "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters")
    for name, tr, te in zip(names, train, test):
        common = int(torch.bincount(tr.labels).argmax())
        print(f"{name}: {len(tr)} training steps, {len(te)} held-out; always action {common}: "
              f"{float((te.labels == common).float().mean()):.3f} held-out agreement")
    width = max(d.num_actions for d in train)
    actions = " | ".join(f"recall {a}" for a in range(width))
    print(f"\n| minutes | samples | task | held-out agreement | where the label changes | {actions} |\n|---|---|---|---|---|"
          + "---|" * width)
    generator = torch.Generator().manual_seed(args.seed)
    start, samples, next_eval = time.perf_counter(), 0, 0.0
    while True:
        minutes = (time.perf_counter() - start) / 60
        if minutes >= next_eval or minutes >= args.minutes:
            for i, (name, data) in enumerate(zip(names, test)):
                agreement, changes, recall = held_out(model, data, i)
                cells = " | ".join([f"{r:.2f}" for r in recall] + ["-"] * (width - len(recall)))
                print(f"| {minutes:.1f} | {samples} | {name} | {agreement:.3f} | {changes:.3f} | {cells} |", flush=True)
            next_eval += args.eval_every
            start += time.perf_counter() - start - minutes * 60  # evaluation time is not training time
            if minutes >= args.minutes:
                break
        loss = 0.0
        for i, data in enumerate(train):  # a batch of every task each step
            x, y = data.batch(torch.randint(len(data), (args.batch_size,), generator=generator))
            loss = loss + F.cross_entropy(model(x, i), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        samples += args.batch_size * len(train)
    if args.save_init:
        save_init(model, checkpoint, config, args.save_init)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
