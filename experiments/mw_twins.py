"""Meta-World tasks whose states do not say which task they are (issue 36; experiments/diary.md,
"Meta-World's twins").

Resets every task of the suite with seeds 0..N-1 and prints each pair of tasks whose first
observations (39 floats) span overlapping boxes in every float: a policy that reads the state alone
cannot tell such tasks apart at the first step where their boxes meet, and not at all where their
first observations are the same for every seed (to 1e-6; "same"). Beside each pair, each
demonstrator's mean action over its first 50 steps of the same episodes (the hand's x, y, z and the
gripper), which says whether telling them apart matters.

    python experiments/mw_twins.py --seeds 50
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

import envs
from envs.demonstrators import get_demonstrator
from envs.metaworld import PREFIX, TASKS

STEPS = 50  # demonstrator steps averaged per episode


def first_observations(task_id: str, seeds: int) -> np.ndarray:
    """The first observation of episodes 0..seeds-1 of a task: (seeds, 39)."""
    env = envs.make(task_id)
    try:
        return np.stack([env.reset(seed=s)[0] for s in range(seeds)])
    finally:
        env.close()


def demonstrator_actions(task_id: str, seeds: int) -> np.ndarray:
    """The demonstrator's mean action over the first STEPS steps of episodes 0..seeds-1: (4,)."""
    env, demo = envs.make(task_id), get_demonstrator(task_id)
    actions = []
    try:
        for s in range(seeds):
            obs, _ = env.reset(seed=s)
            demo.reset(env)
            for _ in range(STEPS):
                actions.append(demo.act(obs, env))
                obs, *_ = env.step(actions[-1])
    finally:
        env.close()
    return np.mean(actions, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="episodes per task, seeds 0..")
    args = parser.parse_args()
    ids = [f"{PREFIX}{task}-v3" for task in TASKS]
    firsts = {task_id: first_observations(task_id, args.seeds) for task_id in ids}
    pairs = [(a, b) for a, b in itertools.combinations(ids, 2)
             if (np.maximum(firsts[a].min(0), firsts[b].min(0)) <= np.minimum(firsts[a].max(0), firsts[b].max(0)) + 1e-6).all()]
    print(f"{len(pairs)} pairs of the {len(ids)} tasks start in overlapping boxes over seeds 0-{args.seeds - 1}")
    print("| task | twin | first observations | task's demonstrator: mean x, y, z, gripper | twin's |")
    print("|---|---|---|---|---|")
    for a, b in pairs:
        same = "same" if np.abs(firsts[a] - firsts[b]).max() < 1e-6 else "overlapping"
        mean_a, mean_b = (np.array2string(demonstrator_actions(t, args.seeds), precision=2) for t in (a, b))
        print(f"| {a} | {b} | {same} | {mean_a} | {mean_b} |")


if __name__ == "__main__":
    main()
