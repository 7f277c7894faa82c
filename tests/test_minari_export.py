"""rollouts.minari_export: dataset ids, and when data/ must be rebuilt from the journal."""

from rollouts.collect import CollectConfig, collect
from rollouts.journal import read_journal
from rollouts.minari_export import dataset_id_for, dataset_is_current


def test_dataset_ids_are_versioned(tmp_path):
    assert dataset_id_for(tmp_path / "pong-v3") == "pong-v3"
    assert dataset_id_for(tmp_path / "pong") == "pong-v0"


def test_data_is_current_only_for_the_entries_it_holds(tmp_path):
    out = tmp_path / "ip-v0"
    collect(CollectConfig(env="InvertedPendulum-v5", out=out, policy="random", episodes=3, progress=False))
    entries = read_journal(out / "episodes", seed=0)
    assert dataset_is_current(out / "data", entries)
    assert not dataset_is_current(out / "data", entries[:2])
    assert not dataset_is_current(tmp_path / "nowhere", entries)


CLASS_ENTRY_POINT = '''
import numpy as np, gymnasium as gym


class Env(gym.Env):
    def __init__(self, render_mode=None):
        self.observation_space = gym.spaces.Box(-1, 1, (4,), np.float32)
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(4, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(4, np.float32), 1.0, self.t >= 6, False, {}


gym.register("ClassEntry/Env-v0", entry_point=Env, max_episode_steps=50)
'''


def test_an_env_registered_with_a_class_entry_point_assembles_its_dataset(tmp_path, monkeypatch):
    import json

    import minari

    from gato_agent import GatoConfig
    from gato_agent.data import load_task
    from rollouts.collect import main

    (tmp_path / "classentry_envs.py").write_text(CLASS_ENTRY_POINT)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "mine"
    assert main(["--env", "classentry_envs:ClassEntry/Env-v0", "--policy", "random", "--episodes", "2", "--no-progress",
                 "--out", str(out)]) == 0
    assert not (out / "data.tmp").exists()
    dataset = minari.MinariDataset(str(out / "data"))
    assert dataset.total_episodes == 2 and dataset.spec.env_spec.id == "ClassEntry/Env-v0"
    assert json.loads(json.loads((out / "data" / "metadata.json").read_text())["env_spec"])["entry_point"] == "classentry_envs:Env"
    task = load_task(out, GatoConfig.from_name("tiny"))
    assert task.name == "ClassEntry/Env-v0" and task.num_steps == 12
