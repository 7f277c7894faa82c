"""Minari datasets by folder or id, read an episode at a time; a missing id offline is one line."""

import dataclasses
import json

from gato_agent.data import SequenceSampler, load_task
from gato_agent.minari_episodes import MinariEpisodes, open_minari
from rollouts.train import main


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


def test_loading_reads_no_episode_and_a_batch_reads_only_its_own(make_dataset, micro_config, monkeypatch):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=12, max_steps=20)
    decoded = []
    storage_type = type(open_minari(path).storage)
    original = storage_type.get_episodes
    monkeypatch.setattr(storage_type, "get_episodes", lambda self, ids: (decoded.extend(ids), original(self, ids))[1])
    task = load_task(path, micro_config)
    assert decoded == [] and len(task.episodes) == 12  # lengths and returns come without the episodes
    assert task.num_steps == 12 * 20 and task.returns.tolist() == [20.0] * 12
    SequenceSampler([task], None, 64, seed=0, prompt_prob=0.0).sample(3)
    assert 1 <= len(decoded) <= 3  # one episode a sequence at most
    reader = task.episodes.readers[0]
    assert isinstance(reader, MinariEpisodes) and reader.reads == len(decoded)
    eager = [ep for ep in open_minari(path).iterate_episodes()]
    first = task.episodes[0]
    assert len(first.ids) == len(eager[0].actions) and (first.ids[:, -1] == eager[0].actions).all()


def test_small_cache_keeps_memory_bounded_and_batches_unchanged(make_dataset, micro_config):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=6, max_steps=20)
    roomy, tight = load_task(path, micro_config), load_task(path, micro_config, cache_bytes=1)
    a = SequenceSampler([roomy], None, 64, seed=4).sample(8)
    b = SequenceSampler([tight], None, 64, seed=4).sample(8)
    assert (a.tokens.ids == b.tokens.ids).all()
    assert len(tight.episodes._cache) == 1  # the newest alone


def test_a_dataset_id_in_the_local_minari_cache_trains(make_dataset, micro_config, tmp_path, capsys):
    make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=16)  # written under MINARI_DATASETS_PATH
    config = tmp_path / "micro.json"
    config.write_text(json.dumps(dataclasses.replace(micro_config, context_length=64).to_dict()))
    args = ["--dataset", "cartpole-v1-s0-v0", "--config", str(config), "--steps", "2", "--batch-size", "2",
            "--out", str(tmp_path / "run"), "--no-progress", "--threads", "1", "--log-every", "1"]
    assert main(args) == 0
    assert "gato-train: 2 steps" in capsys.readouterr().out
    saved = json.loads((tmp_path / "run" / "train_config.json").read_text())
    assert saved["dataset"] == ["cartpole-v1-s0-v0"]
    assert json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])["task_loss"].keys() == {"CartPole-v1"}


def test_a_missing_id_offline_is_one_line_saying_how_to_get_it(micro_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    args = ["--config", "tiny", "--steps", "2", "--out", str(tmp_path / "run"), "--no-progress"]
    for source, fetch in (("mujoco/hopper/expert-v0", "minari download mujoco/hopper/expert-v0"),
                          ("hf:farama-minari/mujoco/hopper/expert-v0", "minari download hf://farama-minari/mujoco/hopper/expert-v0")):
        assert main(["--dataset", source, *args]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "HF_HUB_OFFLINE" in err and fetch in err, err
    assert main(["--dataset", "hf:farama-minari", *args]) == 2
    assert "hf:<org>/<namespace>/<name>-vN" in capsys.readouterr().err
    assert main(["--dataset", str(tmp_path / "typo"), *args]) == 2
    assert "no such folder, and not a dataset id" in capsys.readouterr().err


def test_an_id_missing_locally_is_downloaded_when_online(monkeypatch, tmp_path):
    import minari

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    calls = []

    def load(dataset_id, download=False):  # stands in for the network: what open_minari asks of minari
        calls.append((dataset_id, download))
        if not download and ("remote" not in [c[1] for c in calls]):  # on disk once downloaded
            raise FileNotFoundError(f"Dataset {dataset_id} not found locally")
        return "downloaded"

    monkeypatch.setattr(minari, "load_dataset", load)
    monkeypatch.setattr(minari, "download_dataset", lambda remote: calls.append((remote, "remote")))
    assert open_minari("mujoco/hopper/expert-v0") == "downloaded"
    assert calls == [("mujoco/hopper/expert-v0", False), ("mujoco/hopper/expert-v0", True)]
    calls.clear()
    assert open_minari("hf:my-org/mujoco/hopper/expert-v0") == "downloaded"  # Minari's Hub path, then the cache
    assert calls == [("mujoco/hopper/expert-v0", False), ("hf://my-org/mujoco/hopper/expert-v0", "remote"),
                     ("mujoco/hopper/expert-v0", False)]


def test_an_arrow_format_dataset_reads_lazily_too(make_dataset, micro_config, tmp_path):
    import warnings

    import minari

    hdf5 = open_minari(make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=15))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        minari.create_dataset_from_buffers("arrow-cartpole-v0", list(_buffers(hdf5)), env=hdf5.spec.env_spec, data_format="arrow")
    arrow, eager = load_task("arrow-cartpole-v0", micro_config), load_task(hdf5.spec.data_path, micro_config)
    assert arrow.lengths.tolist() == eager.lengths.tolist() and arrow.returns.tolist() == eager.returns.tolist()
    assert (arrow.episodes[2].ids == eager.episodes[2].ids).all()


def _buffers(dataset):
    from minari.data_collector import EpisodeBuffer

    for ep in dataset.iterate_episodes():
        yield EpisodeBuffer(id=int(ep.id), observations=list(ep.observations), actions=list(ep.actions), rewards=list(ep.rewards),
                            terminations=list(ep.terminations), truncations=list(ep.truncations))
