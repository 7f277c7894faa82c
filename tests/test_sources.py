"""--dataset across families: a JAT folder, a Minari folder and a Minari id, mixed by --weight in one run."""

import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("pyarrow")
pytest.importorskip("datasets")

from gato_agent.data import SequenceSampler, merge_tasks  # noqa: E402
from gato_agent.sources import load_source  # noqa: E402
from rollouts.train import main  # noqa: E402
from tests.test_jat_data import hopper_rows, write_jat  # noqa: E402


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


@pytest.fixture
def three_families(make_dataset, tmp_path):
    jat = write_jat(tmp_path / "mujoco-hopper", hopper_rows(episodes=2, steps=20),
                    {"continuous_observations": "float", "continuous_actions": "float", "rewards": "reward"})
    folder = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    make_dataset("Pendulum-v1", lambda obs: np.array([0.3], np.float32), episodes=2, max_steps=20)
    return [f"jat:{jat}", str(folder), "pendulum-v1-s0-v0"]  # the last one by id, from MINARI_DATASETS_PATH


def test_families_mix_by_weight(three_families, micro_config):
    tasks, weights = merge_tasks([load_source(s, micro_config) for s in three_families], [1.0, 2.0, 1.0])
    assert [t.name for t in tasks] == ["Hopper-v4", "CartPole-v1", "Pendulum-v1"]
    batch = SequenceSampler(tasks, weights, 96, seed=0).sample(200)
    share = np.bincount(batch.task.numpy(), minlength=3) / 200
    assert 0.4 < share[1] < 0.6 and 0.15 < share[0] < 0.35 and 0.15 < share[2] < 0.35


def test_one_run_trains_on_all_three_and_resumes_exactly_with_workers(three_families, micro_config, tmp_path):
    config = tmp_path / "micro.json"
    config.write_text(json.dumps(dataclasses.replace(micro_config, context_length=96).to_dict()))
    flags = [a for s, w in zip(three_families, ("1", "2", "1")) for a in ("--dataset", s, "--weight", w)]
    flags += ["--config", str(config), "--steps", "4", "--batch-size", "3", "--no-progress", "--threads", "1",
              "--log-every", "1", "--checkpoint-every", "2", "--workers", "2", "--warmup-steps", "1"]
    assert main([*flags, "--out", str(tmp_path / "straight")]) == 0
    assert main([*flags, "--out", str(tmp_path / "cut"), "--stop-after", "2"]) == 0
    assert main([*flags, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    read = lambda run: [json.loads(line) for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
    straight, cut = read("straight"), read("cut")
    assert [r["loss"] for r in cut] == pytest.approx([r["loss"] for r in straight], rel=1e-6)
    seen = set().union(*(r["task_loss"] for r in straight))
    assert seen == {"Hopper-v4", "CartPole-v1", "Pendulum-v1"}


def test_tasks_of_every_family_travel_to_spawned_workers(three_families, micro_config):
    """DataLoader workers started by spawn or forkserver get the tasks pickled: every family's
    reader must pickle, and the copy must build the same batches (with its own, empty cache)."""
    import pickle

    import torch

    tasks = [load_source(s, micro_config) for s in three_families]
    copies = pickle.loads(pickle.dumps(tasks))
    a = SequenceSampler(tasks, None, 96, seed=2).batch(0, 6)
    b = SequenceSampler(copies, None, 96, seed=2).batch(0, 6)
    assert torch.equal(a.tokens.ids, b.tokens.ids) and torch.equal(a.targets, b.targets)
