"""Would BabyAI's grid cells learn faster with a row and a column position? A probe for issue 17.

Each of the grid's 49 cell tokens takes its place from `local_pos`, one learned vector per index of
the observation (the same table gives MuJoCo's observation dimensions theirs), so the model learns
every cell's place on its own. Image patches get a row and a column embedding [2.2]. This probe
continues one checkpoint on GoToLocal's bot episodes twice, on the same batches: as it is, and with a
row and a column embedding added to each cell token (zero at the start, so both begin as one
function). It prints the agreement with the bot, teacher-forced, on episodes no checkpoint was
trained on, at intervals:

    gato-collect --seed 900000 --policy expert --env BabyAI-GoToLocal-v0 --episodes 200 \
        --out data/babyai-heldout/gotolocal
    python benchmarks/babyai_cellpos.py --heldout data/babyai-heldout/gotolocal --steps 200 --every 50

The factored variant exists only here; the product's model is unchanged.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch import nn

from agreement import predictions
from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import SequenceSampler, TaskData, load_task
from gato_agent.loss import action_loss
from gato_agent.model import Gato
from gato_agent.tokenizer import TokenBatch


def grid_slots(task: TaskData, key: str = "grid") -> tuple[int, int, int]:
    """(first local_pos of the grid's cells, rows, cols) of the observation leaf named `key`."""
    first = 1
    for leaf in task.obs_codec.leaves:
        if leaf.keys and leaf.keys[-1] == key:
            rows, cols = leaf.space.shape
            return first, rows, cols
        first += leaf.num_tokens
    raise ValueError(f"{task.name} has no observation leaf {key!r}")


class CellPositions(nn.Module):
    """Adds row_emb[r] + col_emb[c] to the token of grid cell (r, c), found by its local_pos."""

    def __init__(self, model: Gato, first: int, rows: int, cols: int):
        super().__init__()
        self.first, self.cols, self.cells = first, cols, rows * cols  # the model is not a submodule
        d = model.config.embed_dim
        self.row = nn.Parameter(torch.zeros(rows, d))
        self.col = nn.Parameter(torch.zeros(cols, d))
        original = model.embed

        def embed(tokens: TokenBatch) -> torch.Tensor:
            x = original(tokens)  # (B, T, D)
            cell = tokens.local_pos - self.first  # (B, T)
            on = (cell >= 0) & (cell < self.cells)
            cell = cell.clamp(0, self.cells - 1)
            extra = self.row[cell // self.cols] + self.col[cell % self.cols]  # (B, T, D)
            return x + extra * on[..., None]

        model.embed = embed


def agreement(model: Gato, heldout: TaskData) -> float:
    """Share of the held-out steps whose greedy action is the bot's, teacher-forced."""
    predicted, labels, _, _ = predictions(model, heldout, max_steps=10**9)
    model.train()
    return float((predicted == labels).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="the weights to continue (default: the embedded checkpoint)")
    parser.add_argument("--dataset", action="append", help="GoToLocal datasets (default: data/default/gotolocal-v0)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=100, help="measure held-out agreement every n steps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--warmup", type=int, default=50, help="steps of linear learning-rate warmup (as the recipes)")
    parser.add_argument("--heldout", required=True, help="GoToLocal episodes to measure on (not trained on)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    base = load_checkpoint(args.checkpoint).model
    tasks = [load_task(path, base.config) for path in args.dataset or ["data/default/gotolocal-v0"]]
    task = tasks[0]
    task = TaskData(task.name, task.source, task.obs_codec, task.act_codec, [e for t in tasks for e in t.episodes])
    heldout = load_task(args.heldout, base.config)
    first, rows, cols = grid_slots(task)
    print(f"{task.num_steps} training steps, {heldout.num_steps} held-out steps; "
          f"grid cells at local_pos {first}..{first + rows * cols - 1} ({rows}x{cols})")

    variants = {}
    for name in ("as it is", "row/column"):
        model = copy.deepcopy(base)
        extra = CellPositions(model, first, rows, cols) if name == "row/column" else None
        params = list(model.parameters()) + ([extra.row, extra.col] if extra else [])
        opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.1)
        warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / args.warmup))
        variants[name] = (model, params, opt, warmup)
    table = {name: [agreement(m, heldout)] for name, (m, *_) in variants.items()}
    sampler = SequenceSampler([task], None, base.config.context_length, args.seed)
    start = time.time()
    for step in range(1, args.steps + 1):
        batch = sampler.sample(args.batch_size)  # the same batch for both variants
        for model, params, opt, warmup in variants.values():
            loss = action_loss(model, model(batch.tokens), batch).loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            warmup.step()
        if step % args.every == 0:
            for name, (model, *_) in variants.items():
                table[name].append(agreement(model, heldout))
            print(f"step {step} ({(time.time() - start) / 60:.0f} min): "
                  + ", ".join(f"{n} {v[-1]:.3f}" for n, v in table.items()), flush=True)
    steps = [0] + list(range(args.every, args.steps + 1, args.every))
    print("\n| variant | " + " | ".join(f"step {s}" for s in steps) + " |")
    print("|---|" + "---|" * len(steps))
    for name, values in table.items():
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    print(f"\nbatch {args.batch_size} x {base.config.context_length} tokens, lr {args.lr} after {args.warmup} steps of warmup")


if __name__ == "__main__":
    main()
