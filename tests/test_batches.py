"""Micro-batches: gradient accumulation equals one big batch, workers build the same batches, and
both resume exactly."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from gato_agent.batches import MicroBatches, accumulate
from gato_agent.checkpoint import load_checkpoint
from gato_agent.data import SequenceSampler, load_task
from gato_agent.distributed import Distributed
from gato_agent.metrics import MetricsLog
from gato_agent.model import Gato
from gato_agent.precision import MixedPrecision
from gato_agent.train import TrainConfig, train


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


def pendulum_policy(obs):
    return np.clip([-2.0 * obs[2] - 0.5 * obs[1]], -2.0, 2.0).astype(np.float32)


@pytest.fixture
def two_tasks(make_dataset):
    return [make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=25),
            make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=30)]


@pytest.fixture
def micro_json(tmp_path, micro_config):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(dataclasses.replace(micro_config, context_length=96).to_dict()))
    return str(path)


def run(out, datasets, micro_json, **kw):
    base = dict(dataset=[str(d) for d in datasets], out=out, config=micro_json, batch_size=4, steps=5, warmup_steps=1,
                lr=3e-3, log_every=1, checkpoint_every=2, progress=False, threads=1, history_noise=0.2)
    train(TrainConfig(**{**base, **kw}))
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows]


def test_four_micro_batches_make_the_gradient_of_one_batch_four_times_as_big(two_tasks, micro_config):
    tasks = [load_task(p, micro_config) for p in two_tasks]
    sampler = SequenceSampler(tasks, [1.0, 1.0], micro_config.context_length, seed=3, history_noise=0.3)
    torch.manual_seed(0)
    big, small = Gato(micro_config), Gato(micro_config)
    small.load_state_dict(big.state_dict())
    amp, env = MixedPrecision("fp32", torch.device("cpu")), Distributed("cpu")
    log = MetricsLog([], ["a", "b"], False, False, 0, 1)

    one = accumulate(big, big, [sampler.batch(0, 8)], amp, env, log)
    stream = MicroBatches(sampler, 2)
    four = accumulate(small, small, [next(stream) for _ in range(4)], amp, env, log)
    assert four.loss == pytest.approx(one.loss, rel=1e-5) and four.accuracy == pytest.approx(one.accuracy)
    assert four.tokens == one.tokens == 8 * micro_config.context_length
    for (name, a), b in zip(big.named_parameters(), small.parameters()):
        if a.grad is not None:
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6, msg=name)
    assert stream.state_dict() == {"next": 8}


def test_grad_accum_trains_like_the_big_batch_and_resumes_exactly(two_tasks, micro_json, tmp_path):
    big = run(tmp_path / "big", two_tasks, micro_json, batch_size=8)
    accum = run(tmp_path / "accum", two_tasks, micro_json, batch_size=2, grad_accum=4)
    assert accum == pytest.approx(big, rel=1e-4)
    run(tmp_path / "cut", two_tasks, micro_json, batch_size=2, grad_accum=4, stop_after=3)
    run(tmp_path / "cut", two_tasks, micro_json, batch_size=2, grad_accum=4, resume=True)
    cut = [json.loads(line)["loss"] for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert cut == pytest.approx(accum, rel=1e-6)


def test_workers_build_the_same_batches_as_the_training_process(two_tasks, micro_config):
    tasks = [load_task(p, micro_config) for p in two_tasks]
    make = lambda: SequenceSampler(tasks, [1.0, 2.0], micro_config.context_length, seed=7, history_noise=0.5)
    inline, workers = MicroBatches(make(), 3), MicroBatches(make(), 3, workers=2)
    for _ in range(5):
        a, b = next(inline), next(workers)
        assert torch.equal(a.tokens.ids, b.tokens.ids) and torch.equal(a.targets, b.targets) and torch.equal(a.task, b.task)
    workers.close()
    resumed = SequenceSampler(tasks, [1.0, 2.0], micro_config.context_length, seed=7, history_noise=0.5)
    resumed.load_state_dict(inline.state_dict())  # a checkpoint after 5 micro-batches
    assert torch.equal(next(MicroBatches(resumed, 3, workers=2)).tokens.ids, next(inline).tokens.ids)
    with pytest.raises(ValueError, match="--resume with the run's --batch-size"):
        MicroBatches(resumed, 4)


def test_a_run_with_workers_has_the_losses_of_one_without(two_tasks, micro_json, tmp_path):
    inline = run(tmp_path / "inline", two_tasks, micro_json)
    workers = run(tmp_path / "workers", two_tasks, micro_json, workers=2)
    assert workers == pytest.approx(inline, rel=1e-6)
    run(tmp_path / "cut", two_tasks, micro_json, workers=2, stop_after=2)
    run(tmp_path / "cut", two_tasks, micro_json, workers=2, resume=True)
    cut = [json.loads(line)["loss"] for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert cut == pytest.approx(inline, rel=1e-6)


def test_two_ranks_accumulate_like_the_big_batch(make_dataset, micro_json, tmp_path):
    """Under DDP, the micro-batches before the last run under no_sync and the step equals the big
    batch's (a last micro-batch left unsynced would let the ranks drift apart)."""
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    script = tmp_path / "accum.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        import torch.distributed as dist
        from gato_agent.train import TrainConfig, train
        dist.init_process_group("gloo")
        run = lambda out, **kw: train(TrainConfig(
            dataset=[{str(path)!r}], out=Path({str(tmp_path)!r}) / out, config={micro_json!r}, steps=3, warmup_steps=1,
            lr=3e-3, log_every=1, checkpoint_every=3, progress=False, threads=1, **kw))
        run("big", batch_size=4)
        run("accum", batch_size=2, grad_accum=2)
        dist.destroy_process_group()
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29537", str(script)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    big, accum = (load_checkpoint(tmp_path / s).model.state_dict() for s in ("big", "accum"))
    for name, value in big.items():
        assert torch.allclose(accum[name], value, atol=1e-5), name
    read = lambda s: [json.loads(line)["loss"] for line in (tmp_path / s / "metrics.jsonl").read_text().splitlines()]
    assert read("accum") == pytest.approx(read("big"), rel=1e-4)


def test_a_run_saved_before_positions_were_counted_resumes(two_tasks, micro_json, tmp_path, capsys):
    """A checkpoint whose sampler state is an older gato-train's numpy generator goes on from the
    sequence its steps reach, with one warning line."""
    run(tmp_path / "old", two_tasks, micro_json, stop_after=2)
    trainer = tmp_path / "old" / "step-0000002" / "trainer.pt"
    state = torch.load(trainer, weights_only=False)
    state["samplers"] = [{"rng": np.random.default_rng(0).bit_generator.state}]  # as the older code saved it
    torch.save(state, trainer)
    losses = run(tmp_path / "old", two_tasks, micro_json, resume=True)
    assert len(losses) == 5 and all(np.isfinite(losses))
    assert "drawn afresh" in capsys.readouterr().err
    saved = torch.load(tmp_path / "old" / "step-0000005" / "trainer.pt", weights_only=False)
    assert saved["samplers"] == [{"next": 5 * 4}]
