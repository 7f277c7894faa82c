"""A calibration for Meta-World behaviour cloning: one MLP per task on the same datasets the Gato runs
read, scored closed-loop on the seeds gato-eval uses. It says whether the data suffice for a plain
observation -> action regression (no tokens, no bins, no history, no prompt), and which of the
Gato's choices breaks it, one at a time:

- ``--inputs companded``: the observation as the Gato's "linear" layout reads it (each float mu-law
  companded and taken at its bin's centre [App. B]), not the float itself;
- ``--inputs decoded``: the same bins read back as floats (mu-law decoded): the bins' resolution
  without the companding's scale;
- ``--head bins``: each action dimension as 1024 bins with cross-entropy and the top bin decoded
  [2.1], not a regression;
- ``--label-sigma S`` (with ``--head bins``): Gaussian targets over the bins, as ``gato-train
  --label-sigma`` trains the Gato (gato_agent.loss);
- ``--decode mean`` (with ``--head bins``): each dimension decoded as the mean of its bins'
  centres under the predicted distribution, not the top bin;
- ``--joint``: one network for all the tasks, with no task input (the Gato has only the prompt).

    python experiments/mw_mlp_baseline.py --data data/mw-sas --tasks reach push door-open \
        drawer-close button-press-topdown --steps 2000 --episodes 10 [--inputs companded] [--head bins]
"""

from __future__ import annotations

import argparse
import time

import minari
import numpy as np
import torch
from torch import nn

import envs
from gato_agent.loss import gaussian_bin_targets
from gato_agent.tokenizer import bins_to_continuous, continuous_to_bins, mu_law_decode, mu_law_encode

BINS = 1024  # [2.1]


def companded(x: torch.Tensor) -> torch.Tensor:
    """Floats -> their mu-law companded bin centres, what the Gato's one-token vector encoder reads."""
    return bins_to_continuous(continuous_to_bins(mu_law_encode(x), BINS), BINS).float()


def read(x: torch.Tensor, inputs: str) -> torch.Tensor:
    """What the MLP reads of observations (N, 39): raw, companded bin centres, or those decoded."""
    if inputs == "raw":
        return x
    return companded(x) if inputs == "companded" else mu_law_decode(companded(x)).float()


def load(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A gato-collect dataset -> observations (N, 39) and their label actions (N, 4)."""
    obs, act = [], []
    for ep in minari.MinariDataset(path).iterate_episodes():
        obs.append(ep.observations[:-1])
        act.append(ep.actions)
    return torch.tensor(np.concatenate(obs), dtype=torch.float32), torch.tensor(np.concatenate(act), dtype=torch.float32)


class Policy(nn.Module):
    """An MLP (39 -> 256 -> 256 -> head) from observations to actions in [-1, 1]."""

    def __init__(self, obs_dim: int, act_dim: int, inputs: str, head: str, label_sigma: float = 0.0, decode: str = "top"):
        super().__init__()
        self.inputs, self.head, self.act_dim, self.label_sigma, self.decode = inputs, head, act_dim, label_sigma, decode
        out = act_dim * BINS if head == "bins" else act_dim
        self.net = nn.Sequential(nn.Linear(obs_dim, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, out))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """(N, obs_dim) -> regression (N, act_dim) in [-1, 1], or logits (N, act_dim, BINS)."""
        x = self.net(read(obs, self.inputs))
        return x.view(len(x), self.act_dim, BINS) if self.head == "bins" else torch.tanh(x)

    def loss(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        if self.head == "bins":
            logits, bins = self(obs).flatten(0, 1), continuous_to_bins(act, BINS).flatten()
            if self.label_sigma > 0:
                return -(gaussian_bin_targets(bins, BINS, self.label_sigma) * logits.log_softmax(-1)).sum(-1).mean()
            return nn.functional.cross_entropy(logits, bins)
        return ((self(obs) - act) ** 2).mean()

    def act(self, obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            y = self(torch.tensor(obs, dtype=torch.float32)[None])[0]
        if self.head == "regression":
            return y.numpy()
        if self.decode == "mean":
            return (y.softmax(-1) * bins_to_continuous(torch.arange(BINS), BINS).float()).sum(-1).numpy()
        return bins_to_continuous(y.argmax(-1), BINS).float().numpy()


def fit(obs: torch.Tensor, act: torch.Tensor, steps: int, seed: int, inputs: str, head: str,
        label_sigma: float = 0.0, decode: str = "top") -> Policy:
    """The policy fitted by Adam (lr 1e-3, batch 256) for `steps` steps."""
    torch.manual_seed(seed)
    net = Policy(obs.shape[1], act.shape[1], inputs, head, label_sigma, decode)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        i = torch.randint(len(obs), (256,), generator=gen)
        loss = net.loss(obs[i], act[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def success_rate(net: Policy, task_id: str, episodes: int) -> float:
    """Share of episodes (seeds 0..episodes-1, 500 steps) with info['success'] at some step."""
    env = envs.make(task_id)
    wins = 0
    for seed in range(episodes):
        obs, _ = env.reset(seed=seed)
        for _ in range(500):
            obs, _, _, _, info = env.step(net.act(obs))
            if info.get("success"):
                wins += 1
                break
    env.close()
    return wins / episodes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder of mw-<task> gato-collect datasets")
    p.add_argument("--tasks", nargs="+", required=True, help="Meta-World task names, e.g. reach push")
    p.add_argument("--steps", type=int, default=2000, help="Adam steps of batch 256 per task")
    p.add_argument("--episodes", type=int, default=10, help="closed-loop episodes per task")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inputs", choices=("raw", "companded", "decoded"), default="raw", help="what the MLP reads (module doc)")
    p.add_argument("--head", choices=("regression", "bins"), default="regression", help="how it outputs actions")
    p.add_argument("--label-sigma", type=float, default=0.0, help="with --head bins: Gaussian targets of this std")
    p.add_argument("--decode", choices=("top", "mean"), default="top", help="with --head bins: the top bin or the mean")
    p.add_argument("--joint", action="store_true", help="one MLP for all --tasks, no task input")
    args = p.parse_args()
    torch.set_num_threads(1)
    data = {task: load(f"{args.data}/mw-{task}/data") for task in args.tasks}
    t0 = time.monotonic()
    if args.joint:
        joint = fit(torch.cat([o for o, _ in data.values()]), torch.cat([a for _, a in data.values()]),
                    args.steps, args.seed, args.inputs, args.head, args.label_sigma, args.decode)
    print(f"inputs {args.inputs}, head {args.head} (label sigma {args.label_sigma}, decode {args.decode}), {'one MLP for all tasks' if args.joint else 'one MLP a task'}")
    print("| task | training steps | dataset steps | success |\n|---|---|---|---|")
    for task, (obs, act) in data.items():
        net = joint if args.joint else fit(obs, act, args.steps, args.seed, args.inputs, args.head, args.label_sigma, args.decode)
        print(f"| {task} | {args.steps} | {len(obs)} | {success_rate(net, f'Meta-World/{task}-v3', args.episodes):.0%} |", flush=True)
    print(f"{time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
