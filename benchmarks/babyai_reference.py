"""A small FiLM CNN cloning the BabyAI bot from one view: the reference the Gato's BabyAI rows are held to.

    python benchmarks/babyai_reference.py --dataset data/default/gotolocal-v0 \
        --dataset data/default/gotolocal-v0-dagger2 --heldout data/babyai-heldout/gotolocal \
        --minutes 15 --eval-every 3 --threads 1

The network of the BabyAI paper's imitation baselines (Chevalier-Boisvert et al. 2019), without its
memory: each cell of the 7x7 view is embedded (the Gato's one category a cell), the mission's words
go through a GRU, and the mission modulates two 3x3 convolutions (FiLM, Perez et al. 2018) before a
small head picks one of the 7 actions. It sees one timestep, where the Gato sees the last seven, so
it answers: how much of the bot's choice can a model read off the view and mission alone, with the
same demonstrations? It trains with plain cross-entropy (Adam, batches of 256 steps, a 50-step warmup) and prints,
every `--eval-every` minutes, the held-out agreement with the bot, overall and where the mission's
target is in view, and the recall of left, right and forward. At the end it plays `--episodes`
episodes of the level greedily and sampled (seeds 0, 1, ...) and prints their success rates, the
figure the Gato's BabyAI rows report.

`--net gato` trains the Gato itself the same way, one timestep at a time: the timestep's 66 tokens
(mission, direction, 49 cells, as `gato_agent.data` tokenizes them) and the separator go through
the transformer, and the action is read at the separator through the tied head, as the full model
reads it with no history in its context. The config is `--checkpoint`'s (default the embedded
one), freshly initialised, or its weights with `--gato-weights`. Beside the FiLM CNN it says how
much of the Gato's gap is its architecture rather than its training mix or its history.
`--set FIELD=VALUE` changes the fresh Gato's config (a 2-layer, width-128 Gato trains about 6x
faster than the tiny preset, a quick stand-in for it), and `--cell-rowcol` adds a learned row and
column embedding to each grid cell's token.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import minari
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import envs
from babyai_cellpos import CellPositions, grid_slots
from babyai_target import target_in_view
from gato_agent.checkpoint import load_checkpoint
from gato_agent.config import GatoConfig
from gato_agent.data import load_task
from gato_agent.model import Gato
from gato_agent.tokenizer import TokenBatch

ACTIONS = 7  # minigrid's Actions: left, right, forward, pickup, drop, toggle, done


class Steps:
    """Every step of some gato-collect BabyAI datasets: view cells, direction, mission words, label."""

    def __init__(self, folders: list[str], words: dict[str, int] | None = None):
        grids, directions, missions, labels = [], [], [], []
        for folder in folders:
            for episode in minari.MinariDataset(f"{folder}/data").iterate_episodes():
                n = len(episode.actions)
                grids.append(episode.observations["grid"][:n])  # (n, 7, 7) cell categories
                directions.append(episode.observations["direction"][:n])
                missions += list(episode.observations["mission"][:n])
                labels.append(episode.actions)
        self.words = words if words is not None else {w: i + 1 for i, w in enumerate(
            sorted({w for m in missions for w in m.split()}))}
        self.grid = torch.from_numpy(np.concatenate(grids).astype(np.int64))  # (S, 7, 7)
        self.direction = torch.from_numpy(np.concatenate(directions).astype(np.int64))  # (S,)
        self.mission = self.encode(missions)  # (S, L) word ids, 0 = padding
        self.label = torch.from_numpy(np.concatenate(labels).astype(np.int64))  # (S,)

    def inputs(self, index: Tensor) -> tuple[Tensor, ...]:
        """The network's inputs for steps `index` (B,)."""
        return self.grid[index], self.direction[index], self.mission[index]

    def observe(self, obs: dict) -> tuple[Tensor, ...]:
        """The network's inputs for one env observation (a batch of one)."""
        return (torch.from_numpy(obs["grid"].astype(np.int64))[None], torch.tensor([int(obs["direction"])]),
                self.encode([obs["mission"]]))

    def encode(self, missions: list[str]) -> Tensor:
        """Missions -> (N, L) word ids (0 pads; a word not seen in training is 0 too)."""
        ids = [[self.words.get(w, 0) for w in m.split()] for m in missions]
        out = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.long)
        for i, row in enumerate(ids):
            out[i, : len(row)] = torch.tensor(row)
        return out

    def __len__(self) -> int:
        return len(self.label)


class TokenSteps:
    """Every step of some gato-collect BabyAI datasets as the Gato reads one timestep: its observation
    tokens and the separator (S, n_obs + 1), and the label."""

    def __init__(self, folders: list[str], model: Gato):
        tasks = [load_task(folder, model.config) for folder in folders]
        self.codec, n_obs = tasks[0].obs_codec, tasks[0].obs_codec.num_tokens
        layout = tasks[0].timestep
        self.local_pos = layout.local_pos[: n_obs + 1]  # (n_obs + 1,)
        self.action_lo = int(layout.lo[n_obs + 1])
        steps = torch.cat([torch.from_numpy(e.ids.astype(np.int64)) for t in tasks for e in t.episodes])
        self.ids = steps[:, : n_obs + 1].clone()  # (S, n_obs + 1): the observation and the separator
        self.label = steps[:, n_obs + 1] - self.action_lo  # (S,)

    def inputs(self, index: Tensor) -> tuple[Tensor, ...]:
        return (self.ids[index],)

    def observe(self, obs: dict) -> tuple[Tensor, ...]:
        ids, _ = self.codec.tokenize({k: [v] if k == "mission" else np.asarray(v)[None] for k, v in obs.items()}, 1)
        return (torch.cat([ids, self.ids[:1, -1:]], 1),)

    def __len__(self) -> int:
        return len(self.label)


class GatoStep(nn.Module):
    """The Gato on one timestep with no history: ids (B, n_obs + 1) -> action logits (B, 7)."""

    def __init__(self, model: Gato, local_pos: Tensor, action_lo: int):
        super().__init__()
        self.model, self.local_pos, self.action_lo = model, local_pos, action_lo

    def forward(self, ids: Tensor) -> Tensor:
        b, t = ids.shape
        tokens = TokenBatch(ids, self.local_pos.expand(b, t), torch.zeros(b, t, dtype=torch.bool),
                            torch.zeros(0, 1, 1, 1), torch.zeros(0, dtype=torch.long))
        return self.model.logits(self.model(tokens)[:, -1], self.action_lo, self.action_lo + ACTIONS)


class FiLMNet(nn.Module):
    """View (B, 7, 7) + direction (B,) + mission (B, L) -> action logits (B, 7)."""

    def __init__(self, cells: int, words: int, width: int = 64):
        super().__init__()
        self.cell = nn.Embedding(cells, width)
        self.direction = nn.Embedding(4, width)
        self.word = nn.Embedding(words + 1, width, padding_idx=0)
        self.gru = nn.GRU(width, width, batch_first=True)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(2))
        self.films = nn.ModuleList(nn.Linear(width, 2 * width) for _ in range(2))
        self.head = nn.Sequential(nn.Linear(width * 49, 256), nn.ReLU(), nn.Linear(256, ACTIONS))

    def forward(self, grid: Tensor, direction: Tensor, mission: Tensor) -> Tensor:
        x = (self.cell(grid) + self.direction(direction)[:, None, None]).permute(0, 3, 1, 2)  # (B, W, 7, 7)
        lengths = (mission > 0).sum(1).clamp(min=1)
        _, h = self.gru(nn.utils.rnn.pack_padded_sequence(
            self.word(mission), lengths.cpu(), batch_first=True, enforce_sorted=False))
        text = h[0]  # (B, W)
        for conv, film in zip(self.convs, self.films):
            gamma, beta = film(text).chunk(2, -1)  # (B, W) each
            x = F.relu(conv(x) * (1 + gamma[..., None, None]) + beta[..., None, None]) + x
        return self.head(x.flatten(1))


@torch.no_grad()
def agreement(net: nn.Module, data: Steps | TokenSteps, seen: np.ndarray) -> str:
    net.eval()
    pred = torch.cat([net(*data.inputs(torch.arange(i, min(i + 1024, len(data))))).argmax(-1)
                      for i in range(0, len(data), 1024)]).numpy()
    net.train()
    label = data.label.numpy()
    hit = pred == label
    recall = " ".join(f"{hit[label == a].mean():.2f}" for a in range(3))
    return f"{hit.mean():.3f} | {hit[seen].mean():.3f} | {recall}"


@torch.no_grad()
def success(net: nn.Module, data: Steps | TokenSteps, env_id: str, episodes: int, sample: bool) -> float:
    """Share of `episodes` episodes (seeds 0, 1, ...) that reach the mission's goal."""
    net.eval()
    env, rng, wins = envs.make(env_id), torch.Generator().manual_seed(0), 0
    for seed in range(episodes):
        obs, _ = env.reset(seed=seed)
        done, ret = False, 0.0
        while not done:
            logits = net(*data.observe(obs))[0]
            action = (torch.multinomial(logits.softmax(-1), 1, generator=rng) if sample else logits.argmax()).item()
            obs, reward, terminated, truncated, _ = env.step(action)
            ret, done = ret + float(reward), terminated or truncated
        wins += ret > 0
    return wins / episodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", action="append", required=True, help="gato-collect dataset folder (repeatable)")
    parser.add_argument("--heldout", required=True, help="gato-collect dataset folder of held-out bot episodes")
    parser.add_argument("--env", default="BabyAI-GoToLocal-v0", help="the level the episodes at the end play")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--eval-every", type=float, default=3.0, help="minutes")
    parser.add_argument("--episodes", type=int, default=100, help="episodes played at the end (0: none)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=50, help="optimizer steps of linear lr warmup")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--net", choices=("film", "gato"), default="film")
    parser.add_argument("--checkpoint", default=None, help="with --net gato: whose config (default: the embedded one)")
    parser.add_argument("--gato-weights", action="store_true", help="with --net gato: start from --checkpoint's weights")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="with --net gato: override a GatoConfig field of the fresh model (repeatable)")
    parser.add_argument("--cell-rowcol", action="store_true",
                        help="with --net gato: add a learned row and column embedding to each grid cell's token "
                             "(benchmarks/babyai_cellpos.py's variant)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.net == "film":
        train = Steps(args.dataset)
        held = Steps([args.heldout], train.words)
        net = FiLMNet(256, len(train.words))  # the view's cell categories are uint8
    else:
        source = load_checkpoint(args.checkpoint).model
        overrides = dict(item.split("=", 1) for item in args.set)
        config = GatoConfig.from_dict({**dataclasses.asdict(source.config),
                                       **{k: json.loads(v) for k, v in overrides.items()}})
        if overrides and args.gato_weights:
            parser.error("--set changes the model's shape; it cannot start from --gato-weights")
        gato = Gato(config)
        if args.gato_weights:
            gato.load_state_dict(source.state_dict())
        train, held = TokenSteps(args.dataset, gato), TokenSteps([args.heldout], gato)
        net = GatoStep(gato, train.local_pos, train.action_lo)
        if args.cell_rowcol:
            net.cells = CellPositions(gato, *grid_slots(load_task(args.heldout, gato.config)))
    seen = target_in_view(minari.MinariDataset(f"{args.heldout}/data"))
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / args.warmup))
    common = np.bincount(held.label.numpy()).argmax()
    print(f"{len(train)} training steps, {len(held)} held-out steps (target in view in {seen.mean():.0%}); "
          f"always-{common} agrees {(held.label.numpy() == common).mean():.3f}\n")
    print("| minutes | samples | agreement | target in view | recall left right forward |")
    print("|---|---|---|---|---|")
    print(f"| 0.0 | 0 | {agreement(net, held, seen)} |", flush=True)
    start = last = time.monotonic()
    samples = 0
    while (now := time.monotonic()) - start < args.minutes * 60:
        if now - last >= args.eval_every * 60:
            print(f"| {(now - start) / 60:.1f} | {samples} | {agreement(net, held, seen)} |", flush=True)
            last = now
        idx = torch.randint(len(train), (args.batch,))
        loss = F.cross_entropy(net(*train.inputs(idx)), train.label[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        warmup.step()
        samples += args.batch
    print(f"| {args.minutes:.1f} | {samples} | {agreement(net, held, seen)} |")
    for sample in (False, True) if args.episodes else ():
        rate = success(net, train, args.env, args.episodes, sample)
        print(f"\n{args.env}, {args.episodes} episodes, {'sampled' if sample else 'greedy'}: success {rate:.0%}")


if __name__ == "__main__":
    main()
