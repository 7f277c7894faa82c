"""Teacher-forced agreement on a BabyAI GoTo level, split by whether the mission's target is in view.

    python benchmarks/babyai_target.py --checkpoint runs/default-babyai3/step-0001200 \
        --heldout data/babyai/gotolocal-heldout

The held-out set is any gato-collect dataset of a `BabyAI-GoTo*` level whose missions end in
"<colour> <object>" (GoToRedBall, GoToLocal, GoToObj). Each step's greedy action (the model's
context windows as `benchmarks/agreement.py` cuts them) is compared with the bot's label, and the
steps are split by whether a cell of the agent's 7x7 view holds an object of the mission's colour
and type. Out of view, the bot acts on what it knows of the whole room and the model cannot; in
view, the view decides, so that is where a model shows whether it reads where the target lies.
Prints agreement and the recall of each action in each half.
"""

from __future__ import annotations

import argparse

import minari
import numpy as np
import torch
from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

from agreement import predictions
from envs.babyai import cell_codes
from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import load_task

ACTIONS = ("left", "right", "forward", "pickup", "drop", "toggle", "done")  # minigrid's Actions


def target_in_view(dataset: minari.MinariDataset) -> np.ndarray:
    """(S,) bool over every step of every episode: the mission's target is in the agent's view."""
    seen = []
    for episode in dataset.iterate_episodes():
        for t in range(len(episode.actions)):
            colour, kind = episode.observations["mission"][t].split()[-2:]
            codes = cell_codes(episode.observations["grid"][t])  # (7, 7, 3)
            seen.append(bool(((codes[..., 0] == OBJECT_TO_IDX[kind]) & (codes[..., 1] == COLOR_TO_IDX[colour])).any()))
    return np.array(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="Gato checkpoint folder")
    parser.add_argument("--heldout", required=True, help="gato-collect dataset folder of a BabyAI GoTo level")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_checkpoint(args.checkpoint).model
    task = load_task(args.heldout, model.config)
    pred, label, _, _ = predictions(model, task, max_steps=10**9)
    seen = target_in_view(minari.MinariDataset(f"{args.heldout}/data"))
    hit = pred == label
    print(f"{task.name}: {len(hit)} steps, agreement {hit.mean():.3f}; target in view in {seen.mean():.0%} of them\n")
    print("| target | steps | agreement | " + " | ".join(f"recall {a}" for a in ACTIONS[:3]) + " |")
    print("|---|---|---|---|---|---|")
    for name, part in (("in view", seen), ("out of view", ~seen)):
        recall = [f"{hit[part & (label == a)].mean():.2f}" if (part & (label == a)).any() else "-" for a in range(3)]
        print(f"| {name} | {part.sum()} | {hit[part].mean():.3f} | " + " | ".join(recall) + " |")


if __name__ == "__main__":
    main()
