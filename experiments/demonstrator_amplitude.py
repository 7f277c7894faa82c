"""How much of its actions' amplitude a linear MuJoCo demonstrator can lose, and how much a model's
own episodes lose (issue 36; experiments/diary.md, "Walker2d: a fragile demonstrator").

Two measures:

- the demonstrator (``envs/assets/demonstrators/<env>.npz``) plays ``--episodes`` greedy episodes
  (seeds 0..) with every action multiplied by each of ``--scales``: the return and episode lengths
  say how far a model that predicts a shrunk action (a regression head's conditional mean) falls;
- for each ``--dagger`` dataset (a ``gato-collect --label expert`` set: the model's own episodes,
  the demonstrator's labels), the share of labels at the bounds and the mean absolute value of the
  labels against that of the actions the model executed (``infos["executed_action"]``).

    python experiments/demonstrator_amplitude.py --env Walker2d-v5 --dagger data/generalist4/walker2d-dagger
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import minari
import numpy as np

from envs.demonstrators.linear import LinearPolicy


def scaled_returns(env_id: str, scale: float, episodes: int) -> tuple[float, list[int]]:
    """The demonstrator's mean return with its actions times ``scale``, and each episode's length."""
    policy = LinearPolicy.load(f"envs/assets/demonstrators/{env_id}.npz")
    env = gym.make(env_id)
    returns, lengths = [], []
    for seed in range(episodes):
        obs, _ = env.reset(seed=seed)
        total, steps, done = 0.0, 0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(scale * policy(obs))
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        returns.append(total)
        lengths.append(steps)
    return float(np.mean(returns)), lengths


def amplitudes(path: str) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """A DAgger set's steps, and per action dim: share of labels at +-1, mean |label|, mean |executed|."""
    dataset = minari.MinariDataset(path)
    episodes = list(dataset.iterate_episodes())
    labels = np.concatenate([ep.actions for ep in episodes])  # (T, act_dim)
    executed = np.concatenate([ep.infos["executed_action"] for ep in episodes])  # (T, act_dim)
    return len(labels), (np.abs(labels) > 0.999).mean(0), np.abs(labels).mean(0), np.abs(executed).mean(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="Walker2d-v5", help="a task with a linear demonstrator")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.85, 0.7, 0.5])
    parser.add_argument("--episodes", type=int, default=5, help="episodes per scale")
    parser.add_argument("--dagger", nargs="*", default=[], help="gato-collect --label expert folders")
    args = parser.parse_args()
    print(f"| {args.env}: actions times | mean return | episode lengths |\n|---|---|---|")
    for scale in args.scales:
        mean, lengths = scaled_returns(args.env, scale, args.episodes)
        print(f"| {scale} | {mean:.1f} | {' '.join(map(str, lengths))} |")
    fmt = lambda a: " ".join(f"{x:.2f}" for x in a)
    for path in args.dagger:
        steps, at_bounds, label, executed = amplitudes(f"{path}/data")
        print(f"\n{path} ({steps} steps), per action dim:\n  labels at +-1: {fmt(at_bounds)}\n"
              f"  mean |label|: {fmt(label)}\n  mean |executed|: {fmt(executed)}")


if __name__ == "__main__":
    main()
