"""gato-collect: Minari round trips, crash safety and resume, filters, and clear errors on bad input.

Real envs throughout; episodes are short (capped or cheap tasks) so each test takes seconds.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import minari
import numpy as np
import pytest

import envs
from rollouts.collect import CollectConfig, CollectError, collect, main

REPO = Path(__file__).resolve().parent.parent


def replay(task_id: str, seed: int, actions: np.ndarray, **make_kwargs):
    """Observations and rewards of ``actions`` replayed in a fresh env reset with ``seed``."""
    env = envs.make(task_id, **make_kwargs)
    obs, _ = env.reset(seed=seed)
    observations, rewards = [obs], []
    for a in actions:
        obs, r, terminated, truncated, _ = env.step(a)
        observations.append(obs)
        rewards.append(r)
    env.close()
    return np.stack(observations), np.array(rewards), terminated, truncated


def run_cli(*args: str, **popen: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rollouts.collect", *args, "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, **popen)


@pytest.mark.parametrize("task_id, steps", [("Reacher-v5", None), ("ALE/Breakout-v5", 120)])
def test_round_trip_through_minari_load_dataset(tmp_path, monkeypatch, task_id, steps):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    out = tmp_path / "demo-v0"
    argv = ["--env", task_id, "--episodes", "3", "--out", str(out), "--seed", "7", "--no-progress"]
    if steps:
        argv += ["--max-episode-steps", str(steps)]
    assert main(argv) == 0

    dataset = minari.load_dataset("demo-v0")
    assert dataset.total_episodes == 3
    meta = dataset.storage.metadata
    assert meta["policy"] == "expert" and meta["episodes_kept"] == 3
    assert meta["env_spec"] and json.loads(meta["env_spec"])["id"] == task_id
    seeds = [m["seed"] for m in dataset.storage.get_episode_metadata(range(3))]
    assert seeds == [7, 8, 9]
    returns = []
    for episode, seed in zip(dataset.iterate_episodes(), seeds):
        t = len(episode.actions)
        assert episode.observations.shape[0] == t + 1
        assert episode.rewards.shape == episode.terminations.shape == episode.truncations.shape
        make_kwargs = {"max_episode_steps": steps} if steps else {}
        obs, rewards, terminated, truncated = replay(task_id, seed, episode.actions, **make_kwargs)
        np.testing.assert_array_equal(episode.observations, obs)  # exact, images included
        np.testing.assert_array_equal(episode.rewards, rewards)
        assert (episode.terminations[-1], episode.truncations[-1]) == (terminated, truncated)
        returns.append(rewards.sum())
    assert meta["return_mean"] == pytest.approx(np.mean(returns))
    if task_id.startswith("ALE/"):
        assert dataset[0].observations.dtype == np.uint8
        raw = sum(e.observations.nbytes for e in dataset.iterate_episodes())
        main_file = out / "data" / "main_data.hdf5"
        assert main_file.stat().st_size < raw / 10  # compressed, losslessly


def test_sigkill_mid_collection_then_resume_gives_exactly_n_episodes(tmp_path):
    out = tmp_path / "hopper-v0"
    args = ["--env", "Hopper-v5", "--episodes", "12", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "rollouts.collect", *args, "--no-progress"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "episodes"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and len(list(journal.glob("*.hdf5"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = len(list(journal.glob("*.hdf5")))
    assert 3 <= done < 12, "the kill should land mid-collection"
    assert not (out / "data").exists()  # the Minari dataset is assembled at the end only

    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    dataset = minari.MinariDataset(str(out / "data"))
    assert dataset.total_episodes == 12
    seeds = [m["seed"] for m in dataset.storage.get_episode_metadata(range(12))]
    assert seeds == list(range(12))  # none lost, none twice
    for episode, seed in zip(dataset.iterate_episodes(), seeds):
        obs, rewards, _, _ = replay("Hopper-v5", seed, episode.actions)
        np.testing.assert_array_equal(episode.observations, obs)
        np.testing.assert_array_equal(episode.rewards, rewards)
    again = run_cli(*args)  # already complete: nothing more is collected
    assert again.returncode == 0 and "kept 12 episodes" in again.stdout


def test_min_return_filters_and_counts(tmp_path):
    cfg = CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "ip-v0", policy="random",
                        episodes=3, min_return=8.0, progress=False)
    result = collect(cfg)
    assert result.kept == 3 and result.dropped > 0
    assert all(r >= 8.0 for r in result.returns)
    meta = minari.MinariDataset(str(result.data_path)).storage.metadata
    assert (meta["episodes_kept"], meta["episodes_dropped"]) == (3, result.dropped)
    assert meta["min_return"] == 8.0
    # Resuming continues the seed sequence after the dropped episodes.
    more = collect(CollectConfig(**{**cfg.__dict__, "episodes": 4}))
    assert more.kept == 4 and more.returns[:3] == result.returns


def test_a_relative_out_folder_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=Path("data/ip-v0"), episodes=1, progress=False))
    assert minari.MinariDataset(str(result.data_path)).total_episodes == 1


def test_min_return_fraction_is_relative_to_the_demonstrator(tmp_path):
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "ip-v0",
                                   episodes=2, min_return_fraction=0.8, progress=False))
    meta = minari.MinariDataset(str(result.data_path)).storage.metadata
    assert meta["min_return"] == pytest.approx(6.1 + 0.8 * (1000.0 - 6.1))
    assert result.kept == 2 and result.dropped == 0


def test_disk_full_is_a_clear_error_and_earlier_episodes_survive(tmp_path):
    out = tmp_path / "ip-v0"
    args = ["--env", "InvertedPendulum-v5", "--out", str(out)]
    assert run_cli(*args, "--episodes", "2").returncode == 0
    size = (out / "episodes" / "episode_000000.hdf5").stat().st_size

    def small_files() -> None:  # every file the child writes is capped below one episode
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))

    full = run_cli(*args, "--episodes", "4", preexec_fn=small_files)
    assert full.returncode == 1  # the run failed while working (gato_agent.cli)
    assert "disk full while writing episode 2" in full.stderr
    assert "The 2 episodes recorded before it are intact" in full.stderr
    assert minari.MinariDataset(str(out / "data")).total_episodes == 2
    assert not list((out / "episodes").glob("*.tmp"))
    assert run_cli(*args, "--episodes", "4").returncode == 0
    assert minari.MinariDataset(str(out / "data")).total_episodes == 4


def test_corrupt_or_partial_journal_is_named(tmp_path):
    out = tmp_path / "ip-v0"
    cfg = CollectConfig(env="InvertedPendulum-v5", out=out, episodes=3, progress=False,
                        max_episode_steps=20)
    collect(cfg)
    victim = out / "episodes" / "episode_000001.hdf5"
    victim.write_bytes(victim.read_bytes()[:500])
    with pytest.raises(CollectError, match="corrupt episode file .*episode_000001.hdf5"):
        collect(CollectConfig(**{**cfg.__dict__, "episodes": 4}))
    victim.unlink()
    with pytest.raises(CollectError, match=r"partial: episodes \[1\] are missing"):
        collect(CollectConfig(**{**cfg.__dict__, "episodes": 4}))


BAD_POLICIES = '''
import numpy as np

def too_big(obs):
    return np.array([5.0], dtype=np.float32)

class Wrong:
    def act(self, obs):
        return np.zeros(3, dtype=np.float32)

wrong_shape = Wrong()
'''


@pytest.mark.parametrize(
    "policy, message",
    [
        ("greedy", "unknown --policy .greedy.; accepted: gato, gato:PATH \\(or checkpoint:PATH\\), expert, random, "
                   "module:callable"),
        ("no_such_module_xyz:act", "module 'no_such_module_xyz' does not import"),
        ("user_policies:missing", "'user_policies' has no attribute 'missing'"),
        ("user_policies:too_big", r"action \[5.0\] is outside the action space Box\(-3.0, 3.0"),
        ("user_policies:wrong_shape", r"action of shape \(3,\) for the action space"),
        ("checkpoint:/no/such/ckpt", "no checkpoint folder at '/no/such/ckpt'"),
    ],
)
def test_bad_policies_are_clear_errors(tmp_path, monkeypatch, policy, message):
    from gato_agent.cli import RunFailed

    (tmp_path / "user_policies.py").write_text(BAD_POLICIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    found_mid_run = policy in ("user_policies:too_big", "user_policies:wrong_shape")  # a bad action: exit 1, as in gato-eval
    with pytest.raises(RunFailed if found_mid_run else CollectError, match=message):
        collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "o-v0", policy=policy,
                              episodes=1, progress=False))


def test_module_callable_policy_is_recorded(tmp_path, monkeypatch):
    (tmp_path / "user_policies2.py").write_text("def zero(obs):\n    return [0.0]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "z-v0",
                                   policy="user_policies2:zero", episodes=2, progress=False))
    dataset = minari.MinariDataset(str(result.data_path))
    assert dataset.storage.metadata["policy"] == "user_policies2:zero"
    assert np.all(dataset[0].actions == 0.0)


def test_out_of_another_env_or_other_arguments_is_refused(tmp_path):
    out = tmp_path / "ds-v0"
    collect(CollectConfig(env="InvertedPendulum-v5", out=out, episodes=1, progress=False))
    with pytest.raises(CollectError, match="holds a dataset of another env .*InvertedPendulum-v5"):
        collect(CollectConfig(env="Reacher-v5", out=out, episodes=1, progress=False))
    with pytest.raises(CollectError, match="was collected with policy='expert'"):
        collect(CollectConfig(env="InvertedPendulum-v5", out=out, policy="random", episodes=1,
                              progress=False))
    # A Minari dataset that gato-collect did not write is recognised by its env too.
    os.remove(out / "collect.json")
    with pytest.raises(CollectError, match="holds a dataset of another env"):
        collect(CollectConfig(env="Reacher-v5", out=out, episodes=1, progress=False))


def test_unknown_env_is_a_clear_error(tmp_path):
    result = run_cli("--env", "ALE/Breakout-v9", "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "unknown env id 'ALE/Breakout-v9'" in result.stderr


def test_checkpoint_policy(tmp_path, micro_config):
    from gato_agent import Gato, GatoAgent

    env = envs.make("InvertedPendulum-v5")
    agent = GatoAgent(Gato(micro_config), env.observation_space, env.action_space)
    agent.save_pretrained(tmp_path / "ckpt")
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "gato-v0",
                                   policy=f"checkpoint:{tmp_path / 'ckpt'}", episodes=1,
                                   max_episode_steps=5, progress=False))
    dataset = minari.MinariDataset(str(result.data_path))
    assert dataset.total_episodes == 1 and len(dataset[0].actions) <= 5
    with h5py.File(result.data_path / "main_data.hdf5") as f:
        assert f["episode_0"].attrs["seed"] == 0


def test_rerun_with_fewer_episodes_keeps_the_first_ones(tmp_path):
    cfg = CollectConfig(env="Reacher-v5", out=tmp_path / "r-v0", episodes=4, progress=False)
    full = collect(cfg)
    main_file = full.data_path / "main_data.hdf5"
    stamp = main_file.stat().st_mtime_ns
    same = collect(cfg)  # complete already: the dataset is left as it is
    assert same.returns == full.returns and main_file.stat().st_mtime_ns == stamp
    fewer = collect(CollectConfig(**{**cfg.__dict__, "episodes": 2}))
    assert fewer.kept == 2 and fewer.returns == full.returns[:2]
    assert minari.MinariDataset(str(fewer.data_path)).total_episodes == 2


def test_damaged_minari_file_is_rebuilt_from_the_journal(tmp_path, capsys):
    cfg = CollectConfig(env="Reacher-v5", out=tmp_path / "r-v0", episodes=3, progress=False)
    first = collect(cfg)
    main_file = first.data_path / "main_data.hdf5"
    main_file.write_bytes(main_file.read_bytes()[:1000])
    again = collect(cfg)
    assert "main_data.hdf5 is damaged; rebuilding it" in capsys.readouterr().err
    assert again.returns == first.returns
    assert minari.MinariDataset(str(again.data_path)).total_episodes == 3


def test_babyai_dataset_keeps_the_mission_text_and_the_grid(tmp_path):
    result = collect(CollectConfig(env="BabyAI-GoToLocal-v0", out=tmp_path / "babyai-v0", episodes=3,
                                   progress=False))
    assert result.kept == 3 and all(r > 0 for r in result.returns)  # the bot succeeds
    dataset = minari.MinariDataset(str(result.data_path))
    assert dataset.observation_space == envs.make("BabyAI-GoToLocal-v0").observation_space
    episode = dataset[0]
    t = len(episode.actions)
    assert len(episode.observations["mission"]) == t + 1 and episode.observations["mission"][0].startswith("go to")
    assert episode.observations["grid"].shape == (t + 1, 7, 7) and episode.observations["grid"].dtype == np.uint8
    assert episode.observations["direction"].shape == (t + 1,)
    again = collect(CollectConfig(env="BabyAI-GoToLocal-v0", out=tmp_path / "babyai-v0", episodes=3, progress=False))
    assert again.returns == result.returns  # complete: nothing rolled, no demonstrator reset on an unreset env
    env = envs.make("BabyAI-GoToLocal-v0")
    first, _ = env.reset(seed=0)
    assert first["mission"] == episode.observations["mission"][0]
    np.testing.assert_array_equal(first["grid"], episode.observations["grid"][0])


def test_num_envs_refuses_a_policy_that_keeps_one_episodes_state(tmp_path, monkeypatch):
    (tmp_path / "stateful.py").write_text("class P:\n    def act(self, obs):\n        return obs[:1] * 0\n"
                                          "    def reset(self):\n        pass\npolicy = P()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CollectError, match="can act for one env only"):
        collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "o", policy="stateful:policy", episodes=2,
                              num_envs=2, progress=False))
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "p", policy="stateful:policy", episodes=2,
                                   num_envs=1, max_episode_steps=5, progress=False))
    assert result.kept == 2
    assert run_cli("--env", "InvertedPendulum-v5", "--out", str(tmp_path / "q"), "--num-envs", "0").returncode == 2
