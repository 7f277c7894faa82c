"""JAT's dataset: parquet files written in its exact layout (one row per episode) read as tasks."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("pyarrow")
datasets = pytest.importorskip("datasets")

from gato_agent.data import SequenceSampler  # noqa: E402
from gato_agent.jat_data import jat_task, load_jat  # noqa: E402
from rollouts.train import main  # noqa: E402

REPO = str(Path(__file__).resolve().parents[1])


def write_jat(folder: Path, columns: dict, features: dict) -> Path:
    """One config's train split as the Hub stores it: <config>/train-00000-of-00001.parquet."""
    from datasets import Features, Sequence, Value

    kinds = {"float": Sequence(Sequence(Value("float32"))), "int": Sequence(Value("int64")),
             "ints": Sequence(Sequence(Value("int64"))), "text": Sequence(Value("string")),
             "image": Sequence(datasets.Image()), "reward": Sequence(Value("float32"))}
    folder.mkdir(parents=True)
    dataset = datasets.Dataset.from_dict(columns, Features({k: kinds[v] for k, v in features.items()}))
    dataset.to_parquet(str(folder / "train-00000-of-00001.parquet"))
    return folder


def hopper_rows(episodes=3, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    return {"continuous_observations": [rng.standard_normal((steps, 11)).astype(np.float32) for _ in range(episodes)],
            "continuous_actions": [rng.uniform(-1, 1, (steps, 3)).astype(np.float32) for _ in range(episodes)],
            "rewards": [np.full(steps, 1.0 + i, np.float32) for i in range(episodes)]}


@pytest.fixture
def hopper(tmp_path):
    return write_jat(tmp_path / "mujoco-hopper", hopper_rows(),
                     {"continuous_observations": "float", "continuous_actions": "float", "rewards": "reward"})


def test_a_mujoco_folder_is_the_v4_task_with_its_episodes_read_on_demand(hopper, micro_config):
    task = load_jat(f"jat:{hopper}", micro_config)
    assert task.name == "Hopper-v4" and task.obs_codec.space.shape == (11,) and task.act_codec.space.shape == (3,)
    assert task.lengths.tolist() == [12, 12, 12] and task.returns.tolist() == [12.0, 24.0, 36.0]
    reader = task.episodes.readers[0]
    assert reader.rows._group is None  # nothing but the rewards read so far
    rows = hopper_rows()
    episode = task.episodes[1]
    expected = task.obs_codec.tokenize(rows["continuous_observations"][1].astype(np.float64), 12)[0]
    assert torch.equal(torch.from_numpy(episode.ids[:, :11]).long(), expected)
    assert torch.equal(torch.from_numpy(episode.ids[:, 12:]).long(), task.act_codec.encode(rows["continuous_actions"][1], 12))
    assert episode.ret == 24.0
    batch = SequenceSampler([task], None, 64, seed=0).sample(2)
    assert (batch.targets >= 0).sum() > 0


def test_atari_keeps_the_newest_frame_of_each_stored_stack(tmp_path, micro_config):
    from PIL import Image

    rng = np.random.default_rng(1)
    stacks = [rng.integers(0, 256, (84, 84, 4), dtype=np.uint8) for _ in range(5)]  # one step's 4 frames, oldest first
    folder = write_jat(tmp_path / "atari-breakout",
                       {"image_observations": [[Image.fromarray(s) for s in stacks]], "discrete_actions": [[0, 1, 2, 3, 1]],
                        "rewards": [np.array([0, 1, 0, 0, 1], np.float32)]},
                       {"image_observations": "image", "discrete_actions": "int", "rewards": "reward"})
    config = dataclasses.replace(micro_config, image_channels=1, frame_stack=4)
    task = load_jat(f"jat:{folder}", config)
    assert task.name == "jat/atari-breakout" and task.act_codec.space.n == 4
    episode = task.episodes[0]
    newest = np.stack([s[..., -1] for s in stacks])  # (5, 84, 84)
    assert np.array_equal(episode.images, task.obs_codec.tokenize(newest, 5)[1].numpy())
    assert episode.ids[:, -1].tolist() == [0, 1, 2, 3, 1] and episode.ret == 2.0


def test_babyai_reads_mission_text_and_the_flattened_grid(tmp_path, micro_config):
    pytest.importorskip("sentencepiece")
    grid = [np.r_[d % 4, np.full(147, 2)].astype(np.int64) for d in range(6)]
    folder = write_jat(tmp_path / "babyai-go-to",
                       {"text_observations": [["go to the red ball"] * 6], "discrete_observations": [grid],
                        "discrete_actions": [[2, 2, 0, 1, 2, 6]], "rewards": [np.r_[np.zeros(5), 0.9].astype(np.float32)]},
                       {"text_observations": "text", "discrete_observations": "ints", "discrete_actions": "int", "rewards": "reward"})
    config = dataclasses.replace(micro_config, max_observation_tokens=200, context_length=512)
    task = load_jat(f"jat:{folder}", config)
    assert task.name == "jat/babyai-go-to" and jat_task("babyai-go-to").env_id == "BabyAI-GoTo-v0"
    episode = task.episodes[0]
    text = task.obs_codec.decode_text(torch.from_numpy(episode.ids[0]).long())
    assert text == ["go to the red ball"]
    assert episode.ids[:, -1].tolist() == [2, 2, 0, 1, 2, 6]


def test_configs_map_to_env_ids_and_unmappable_ones_are_refused():
    assert jat_task("mujoco-doublependulum").env_id == "InvertedDoublePendulum-v4"
    assert jat_task("atari-bankheist").env_id == "ALE/BankHeist-v5"
    assert jat_task("babyai-move-two-across-s8n9").env_id == "BabyAI-MoveTwoAcrossS8N9-v0"
    assert jat_task("babyai-put-next").env_id == "BabyAI-PutNextS7N4-v0"
    assert jat_task("metaworld-assembly").action_space.shape == (4,)
    with pytest.raises(ValueError, match="only JAT's RL configs, those starting with atari-, babyai-, metaworld-, mujoco-"):
        jat_task("oscar")
    with pytest.raises(ValueError, match="not a MuJoCo config"):
        jat_task("mujoco-bogus")


def test_a_folder_must_be_named_like_its_config(tmp_path, micro_config):
    folder = write_jat(tmp_path / "hopper-data", hopper_rows(),
                       {"continuous_observations": "float", "continuous_actions": "float", "rewards": "reward"})
    with pytest.raises(ValueError, match="named like its config .*'hopper-data' starts with none of atari-"):
        load_jat(f"jat:{folder}", micro_config)
    (tmp_path / "mujoco-walker").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no parquet files"):
        load_jat(f"jat:{tmp_path / 'mujoco-walker'}", micro_config)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_jat(f"jat:{tmp_path / 'mujoco-ant'}", micro_config)


def test_a_jat_folder_trains_and_an_uncached_config_offline_is_one_line(hopper, micro_config, tmp_path, capsys):
    config = tmp_path / "micro.json"
    config.write_text(json.dumps(dataclasses.replace(micro_config, context_length=64).to_dict()))
    common = ["--config", str(config), "--steps", "3", "--batch-size", "2", "--no-progress", "--threads", "1", "--log-every", "1"]
    assert main(["--dataset", f"jat:{hopper}", "--out", str(tmp_path / "run"), *common]) == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and rows[0]["task_loss"].keys() == {"Hopper-v4"}
    assert main(["--dataset", "jat:oscar", "--out", str(tmp_path / "text"), *common]) == 2
    assert "only JAT's RL configs, those starting with atari-" in capsys.readouterr().err
    # the datasets library reads HF_HUB_OFFLINE when imported: a fresh process
    env = {**os.environ, "PYTHONPATH": REPO, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    run = subprocess.run([sys.executable, "-m", "rollouts.train", "--dataset", "jat:mujoco-hopper", "--out", str(tmp_path / "off"),
                          *common], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "jat:mujoco-hopper: not in the Hugging Face cache" in run.stderr, run.stderr


def test_a_config_from_the_datasets_library_reads_its_arrow_table_row_by_row(hopper, micro_config, tmp_path, monkeypatch):
    """jat:<config> goes through datasets.load_dataset (the Hub, or its cache); here the library
    builds the same memory-mapped Arrow table from the local parquet files instead of the Hub's."""
    asked, real = [], datasets.load_dataset

    def load_dataset(repo, name, split):
        asked.append((repo, name, split))
        return real("parquet", data_files=str(hopper / "*.parquet"), split="train",
                                     cache_dir=str(tmp_path / "cache"))

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    hub, folder = load_jat("jat:mujoco-hopper", micro_config), load_jat(f"jat:{hopper}", micro_config)
    assert asked == [("jat-project/jat-dataset", "mujoco-hopper", "train")]
    assert hub.name == folder.name == "Hopper-v4" and hub.returns.tolist() == folder.returns.tolist()
    for i in range(3):
        assert np.array_equal(hub.episodes[i].ids, folder.episodes[i].ids)
