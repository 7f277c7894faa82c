"""How far a checkpoint's actions are from its demonstrator's labels by the step of the episode
(issue 36; experiments/diary.md, "Episode starts").

The demonstrator (``envs.demonstrators``) plays ``--episodes`` episodes (seeds 0..) of up to
``--steps`` steps; at each step the checkpoint acts on the same history and its action is compared
with the label, so the states are the demonstrations' and the error is the model's alone. Prints
the mean absolute error per action dimension over steps 0-4, 5-19, 20-99 and 100 onwards, and
each dimension's label std.

    python experiments/episode_start_error.py --env Hopper-v5 --checkpoint recipes/weights/generalist-round1
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import envs
from envs.demonstrators import get_demonstrator
from gato_agent import GatoAgent

SPANS = ((0, 5), (5, 20), (20, 100), (100, None))  # the steps each row averages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="a task with a demonstrator, e.g. Hopper-v5")
    parser.add_argument("--checkpoint", required=True, help="a checkpoint folder or a run's step")
    parser.add_argument("--episodes", type=int, default=2, help="episodes, seeds 0..")
    parser.add_argument("--steps", type=int, default=200, help="the most steps of an episode")
    args = parser.parse_args()
    torch.set_num_threads(1)
    np.set_printoptions(precision=3, suppress=True)
    env, demo = envs.make(args.env), get_demonstrator(args.env)
    agent = GatoAgent.from_pretrained(args.checkpoint, task=args.env)
    errors, labels = [], []
    for seed in range(args.episodes):
        obs, _ = env.reset(seed=seed)
        demo.reset(env)
        agent.reset()
        episode = []
        for _ in range(args.steps):
            action, label = agent.act(obs), demo.act(obs, env)
            episode.append(np.abs(action - label))
            labels.append(label)
            obs, _, terminated, truncated, _ = env.step(label)  # the demonstrator's states
            if terminated or truncated:
                break
        errors.append(np.array(episode))  # (T, n_act)
    n = min(len(e) for e in errors)
    error = np.stack([e[:n] for e in errors]).mean(0)  # (n, n_act)
    for lo, hi in SPANS:
        if lo < n:
            span = error[lo:hi]
            print(f"{args.env} steps {lo}-{(hi or n) - 1}: |action - label| per dim {span.mean(0)}, mean {span.mean():.3f}")
    print(f"{args.env} label std per dim {np.std(labels, 0)}")


if __name__ == "__main__":
    main()
