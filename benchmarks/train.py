"""Training throughput: gato-train's loss against the naive one, measured in one run.

    python benchmarks/train.py                       # tiny, tiny with the paper's 33k table, small
    python benchmarks/train.py --configs tiny --repeats 5 --threads 1
    python benchmarks/train.py --configs small --device cuda --batch-size 32 --context 1024 --no-naive   # a GPU

Ours: logits only at the positions before action tokens, only over the control ids (1024 discrete
values + 1024 bins), masked to each token's legal range (gato_agent.loss.action_loss).
Naive: logits over the full vocabulary at every position, cross-entropy at the action positions.
Both run the same model, batch and AdamW step; the two are interleaved and the medians compared.
On --device cuda the step runs under gato-train's --precision (auto: bf16 where supported) and is
timed after a device synchronize; --no-naive times ours alone (the naive logits of a big batch can
fill a GPU), giving the tokens/s that docs/training.md projects an epoch from.
Sequences are Atari-shaped (20 patches + separator + 1 action = 22 tokens a timestep) and
MuJoCo-shaped (17 values + separator + 6 actions = 24), half and half.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces

from gato_agent import Gato, GatoConfig
from gato_agent.data import Batch, Episode, SequenceSampler, TaskData
from gato_agent.spaces import ActionCodec, ObservationCodec
from gato_agent.timestep import Timestep
from gato_agent.loss import action_loss
from gato_agent.optim import build_optimizer
from gato_agent.precision import MixedPrecision

CONFIGS = {
    "tiny": lambda: GatoConfig.tiny(),
    "tiny-33k": lambda: dataclasses.replace(GatoConfig.tiny(), text_vocab_size=32000),
    "small": lambda: GatoConfig.small(),
}


def synthetic_task(name: str, obs_space, act_space, config: GatoConfig, steps: int, rng) -> TaskData:
    obs_codec, act_codec = ObservationCodec(obs_space, config), ActionCodec(act_space, config)
    obs_space.seed(0)
    act_space.seed(0)
    observations = np.stack([obs_space.sample() for _ in range(steps)])
    actions = np.stack([act_space.sample() for _ in range(steps)])
    ids, images = Timestep(obs_codec, act_codec).encode_episode(observations, actions, steps)
    episode = Episode(ids.int().numpy(), images.numpy(), 0.0)
    return TaskData(name, "synthetic", obs_codec, act_codec, [episode])


def naive_loss(model: Gato, hidden: torch.Tensor, batch: Batch) -> torch.Tensor:
    logits = model.logits(hidden)  # (B, L, V): every position, every id
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), batch.targets[:, 1:].reshape(-1), ignore_index=-1)


def step_time(model: Gato, optimizer, batch: Batch, loss_fn, amp: MixedPrecision) -> float:
    sync = torch.cuda.synchronize if amp.device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    with amp.autocast():
        hidden = model(batch.tokens)
        loss = loss_fn(model, hidden, batch)
    loss = loss[0] if isinstance(loss, tuple) else loss
    optimizer.zero_grad(set_to_none=True)
    amp.step(loss, optimizer, model.parameters(), grad_clip=1.0)
    sync()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--context", type=int, default=512, help="tokens per sequence")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per method (after one warm-up each)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"], help="as gato-train's")
    parser.add_argument("--no-naive", dest="naive", action="store_false", help="time ours alone")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    rng = np.random.default_rng(0)
    amp = MixedPrecision(args.precision, device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu threads={args.threads}"
    print(f"{where} precision={amp.name} batch={args.batch_size} context={args.context} repeats={args.repeats} (medians)")
    print()
    print("| config | params | ours tokens/s | naive tokens/s | ours / naive |")
    print("|---|---|---|---|---|")
    for name in args.configs:
        config = dataclasses.replace(CONFIGS[name](), context_length=args.context)
        torch.manual_seed(0)
        model = Gato(config).to(device).train()
        optimizer = build_optimizer(model, 1e-4, 0.1, device)
        tasks = [
            synthetic_task("atari", spaces.Box(0, 255, (210, 160, 3), np.uint8), spaces.Discrete(4), config, 64, rng),
            synthetic_task("mujoco", spaces.Box(-np.inf, np.inf, (17,)), spaces.Box(-1, 1, (6,)), config, 64, rng),
        ]
        sampler = SequenceSampler(tasks, None, args.context, seed=0)
        batches = [sampler.sample(args.batch_size).to(device) for _ in range(args.repeats + 1)]
        methods = (("ours", action_loss), ("naive", naive_loss))[: 2 if args.naive else 1]
        times = {m: [] for m, _ in methods}
        for i, batch in enumerate(batches):
            for method, fn in methods:
                t = step_time(model, optimizer, batch, fn, amp)
                if i:  # the first round warms up
                    times[method].append(t)
        tokens = args.batch_size * args.context
        ours = tokens / statistics.median(times["ours"])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        if args.naive:
            naive = tokens / statistics.median(times["naive"])
            print(f"| {name} | {params:.1f}M | {ours:,.0f} | {naive:,.0f} | {ours / naive:.2f}x |")
        else:
            print(f"| {name} | {params:.1f}M | {ours:,.0f} | - | - |")


if __name__ == "__main__":
    main()
