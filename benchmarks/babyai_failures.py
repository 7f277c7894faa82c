"""How a checkpoint's greedy episodes on a BabyAI GoTo level fail.

    python benchmarks/babyai_failures.py --env BabyAI-GoToLocal-v0 --episodes 30
    python benchmarks/babyai_failures.py --checkpoint runs/default-babyai5/step-0001500

Plays `--episodes` prompted greedy episodes (seeds 0, 1, ...; the embedded checkpoint unless
`--checkpoint`) one at a time and prints, for each failure, its mission, its first 40 actions
(L left, R right, F forward, p pickup, d drop, t toggle, D done) and where the mission's target lay
in the 7x7 view before each of its first 12 actions (column 0-6 left to right, row 0-6 far to near:
the agent stands at column 3, row 6; `-` out of view). Then counts the failures that end turning on
the spot (no forward in their last 10 actions) against those that end walking.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

import envs
from envs.babyai import cell_codes
from gato_agent.agent import GatoAgent

LETTERS = "LRFpdtD"  # minigrid's Actions, in order


def target_cell(obs: dict) -> str:
    """Where the mission's "<colour> <object>" lies in the view, as "column,row", or "-"."""
    colour, kind = obs["mission"].split()[-2:]
    codes = cell_codes(obs["grid"])  # (7, 7, 3): column, row, (object, colour, state)
    hits = np.argwhere((codes[..., 0] == OBJECT_TO_IDX[kind]) & (codes[..., 1] == COLOR_TO_IDX[colour]))
    return f"{hits[0][0]},{hits[0][1]}" if len(hits) else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="Gato checkpoint folder (default: the embedded one)")
    parser.add_argument("--env", default="BabyAI-GoToLocal-v0", help="a BabyAI GoTo level of the checkpoint")
    parser.add_argument("--episodes", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    agent = GatoAgent.from_pretrained(args.checkpoint, task=args.env)
    env = envs.make(args.env)
    spinning = walking = 0
    for seed in range(args.episodes):
        obs, _ = env.reset(seed=seed)
        agent.reset()
        actions, cells, ret, done = [], [], 0.0, False
        while not done:
            action = int(agent.act(obs))
            cells.append(target_cell(obs))
            actions.append(LETTERS[action])
            obs, reward, terminated, truncated, _ = env.step(action)
            ret, done = ret + float(reward), terminated or truncated
        if ret > 0:
            continue
        spinning += "F" not in actions[-10:]
        walking += "F" in actions[-10:]
        print(f"seed {seed}: {obs['mission']}: {''.join(actions[:40])}  target at {' '.join(cells[:12])}")
    print(f"\n{args.episodes} episodes: {spinning + walking} failures, {spinning} end turning on the spot, "
          f"{walking} end walking")


if __name__ == "__main__":
    main()
