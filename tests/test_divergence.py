"""Training that watches its loss: a diverged run stops (exit 1) naming the step, before a
checkpoint of non-finite weights is written; the newest checkpoint left is finite and --resume
starts from it."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from gato_agent import GatoConfig
from gato_agent.divergence import non_finite_step
from rollouts.train import main as train_main

MICRO = GatoConfig(num_layers=1, embed_dim=32, num_heads=4, ff_dim=64, context_length=64, text_vocab_size=1024,
                   image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64)


def diverging_args(dataset, out: Path, *more: str) -> list[str]:
    config = out.parent / "micro.json"
    config.write_text(json.dumps(MICRO.to_dict()))
    return ["--dataset", str(dataset), "--out", str(out), "--config", str(config), "--batch-size", "2", "--steps", "30",
            "--warmup-steps", "10", "--log-every", "1", "--checkpoint-every", "2", "--keep-checkpoints", "1",
            "--threads", "1", "--no-progress", "--lr", "30", "--grad-clip", "1e9", *more]


def test_a_diverged_run_stops_before_saving_and_resume_starts_from_the_last_finite_step(make_dataset, tmp_path, capsys):
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=3, max_steps=15)
    out = tmp_path / "run"
    code = train_main(diverging_args(dataset, out))
    err = capsys.readouterr().err.strip()
    assert code == 1, err
    assert len(err.splitlines()) == 1 and "training diverged" in err, err
    step = int(err.split("step ")[1].split(":")[0])
    latest = (out / "latest").read_text().strip()
    assert 0 < int(latest.removeprefix("step-")) < step and f"step {int(latest[5:])} is intact" in err
    assert sorted(p.name for p in out.glob("step-*")) == [latest]  # the finite one was not rotated away
    weights = load_file(out / latest / "model.safetensors")
    assert all(torch.isfinite(t).all() for t in weights.values())
    rows = [json.loads(line, parse_constant=lambda c: pytest.fail(f"metrics.jsonl holds {c}"))
            for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, step))
    # --resume goes on from it: the exact replay logs the same steps again and stops at the same one
    assert train_main(diverging_args(dataset, out, "--resume")) == 1
    assert f"step {step}:" in capsys.readouterr().err
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == list(range(1, step))


@pytest.mark.parametrize("loss,norm,scaled,bad", [
    (float("nan"), 1.0, False, "the loss is nan"), (float("inf"), 1.0, True, "the loss is inf"),
    (1.0, float("nan"), False, "the gradient norm is nan"), (1.0, float("inf"), True, None), (1.0, 2.0, False, None),
])
def test_non_finite_step_names_what_is_not_finite(loss, norm, scaled, bad):
    found = non_finite_step(loss, norm, scaled)
    assert found == bad if bad is None else found.startswith(bad)
