"""gato-collect's recording loop (rollouts.recording): labels beside the executed actions, action
noise, episodes cut after success, and --num-envs rolling the same episodes as one env.

Real envs throughout; episodes are short (capped or cheap tasks) so each test takes seconds.
"""

from __future__ import annotations

import minari
import numpy as np
import pytest

import envs
from envs.demonstrators import get_demonstrator
from rollouts.collect import CollectConfig, CollectError, collect


def test_label_records_another_policys_action_in_the_visited_states(tmp_path):
    # DAgger's data: the random policy acts (the pendulum falls within a few dozen steps, where
    # LQR holds it for 1000), the LQR demonstrator's action in each visited state is recorded.
    cfg = CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "dagger", policy="random",
                        label="expert", episodes=3, progress=False)
    dataset = minari.MinariDataset(str(collect(cfg).data_path))
    demo, env = get_demonstrator("InvertedPendulum-v5"), envs.make("InvertedPendulum-v5")
    demo.reset(env)
    for episode in dataset.iterate_episodes():
        assert len(episode.actions) < 200
        labels = np.stack([demo.act(o, env) for o in episode.observations[:-1]])
        np.testing.assert_allclose(episode.actions, labels, atol=1e-5)
        # What was executed is kept beside the label: replaying it from the seed retraces the episode.
        executed = episode.infos["executed_action"]
        assert executed.shape == episode.actions.shape and not np.allclose(executed, episode.actions)
        env.reset(seed=int(episode.id))
        replayed = [env.step(a)[0] for a in executed]
        np.testing.assert_allclose(replayed, episode.observations[1:], atol=1e-6)
    meta = dataset.storage.metadata
    assert (meta["policy"], meta["label"]) == ("random", "expert")
    with pytest.raises(CollectError, match="unknown --label 'nope'"):
        collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "bad", label="nope", progress=False))


def test_action_noise_is_executed_and_seeded_and_the_label_is_the_clean_action(tmp_path):
    def run(name, noise):
        cfg = CollectConfig(env="InvertedPendulum-v5", out=tmp_path / name, episodes=2, progress=False,
                            max_episode_steps=100, action_noise=noise)
        return minari.MinariDataset(str(collect(cfg).data_path))

    clean, noisy, again = run("clean", 0.0), run("noisy", 0.2), run("again", 0.2)
    demo, env = get_demonstrator("InvertedPendulum-v5"), envs.make("InvertedPendulum-v5")
    demo.reset(env)
    space = clean.action_space
    for a, b, c in zip(clean.iterate_episodes(), noisy.iterate_episodes(), again.iterate_episodes()):
        assert np.array_equal(b.actions, c.actions)  # seeded per episode
        assert all(space.contains(x) for x in b.actions)
        n = min(len(a.actions), len(b.actions))
        assert np.abs(b.observations[1:n] - a.observations[1:n]).mean() > 1e-3  # noise was executed
        # The label is the demonstrator's own action in each state reached (DART), not the
        # executed one (LQR reads only the observation, so it can be replayed here).
        labels = np.stack([demo.act(o, env) for o in b.observations[:-1]])
        np.testing.assert_allclose(b.actions, labels, atol=1e-5)
        assert np.abs(b.infos["executed_action"] - b.actions).mean() > 1e-3  # the noisy action is kept
    assert next(clean.iterate_episodes()).infos is None  # nothing to keep when the label was executed
    assert noisy.storage.metadata["total_episodes"] == 2
    assert noisy.storage.metadata["action_noise"] == 0.2
    with pytest.raises(CollectError, match=r"--action-noise must be in \[0, 1\]"):
        collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "bad", action_noise=2.0, progress=False))


def test_steps_after_success_ends_the_episode_that_many_steps_after_its_first_success(tmp_path):
    pytest.importorskip("metaworld")
    task = "Meta-World/reach-v3"
    data = minari.MinariDataset(str(collect(CollectConfig(
        env=task, out=tmp_path / "reach", episodes=2, steps_after_success=5, progress=False)).data_path))
    assert data.storage.metadata["steps_after_success"] == 5
    for seed, ep in zip((0, 1), data.iterate_episodes()):
        n = len(ep.actions)
        assert n < 500 and ep.truncations[-1] and not ep.truncations[:-1].any()
        env = envs.make(task)
        env.reset(seed=seed)
        success = [bool(env.step(a)[4]["success"]) for a in ep.actions]
        env.close()
        assert success.index(True) == n - 1 - 5  # the expert's episode, replayed, first succeeds 5 steps before its end
    with pytest.raises(CollectError, match=r"--steps-after-success needs an env that reports info\['success'\]"):
        collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "ip", steps_after_success=5, progress=False))


def test_num_envs_rolls_the_same_episodes_in_the_same_order(tmp_path):
    # Random actions end the pendulum's episodes at different steps, so episodes finish out of order
    # across the sub-envs; the return filter drops some. The journal must match one env's, episode
    # for episode: seeds, labels (LQR's), executed actions, returns, dropped attempts.
    def run(name, num_envs, episodes=5):
        return collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / name, policy="random", label="expert",
                                     episodes=episodes, min_return=6.0, num_envs=num_envs, progress=False))

    one, three = run("one", 1), run("three", 3)
    assert one.dropped > 0 and len(set(len(e.actions) for e in minari.MinariDataset(str(one.data_path)).iterate_episodes())) > 1
    assert (three.kept, three.dropped, three.returns) == (one.kept, one.dropped, one.returns)
    a, b = (minari.MinariDataset(str(r.data_path)) for r in (one, three))
    assert [m["seed"] for m in b.storage.get_episode_metadata(range(5))] == \
           [m["seed"] for m in a.storage.get_episode_metadata(range(5))]
    for x, y in zip(a.iterate_episodes(), b.iterate_episodes()):
        np.testing.assert_array_equal(x.observations, y.observations)
        np.testing.assert_array_equal(x.actions, y.actions)
        np.testing.assert_array_equal(x.infos["executed_action"], y.infos["executed_action"])
    assert sorted(p.name for p in (tmp_path / "one" / "episodes").iterdir()) == \
           sorted(p.name for p in (tmp_path / "three" / "episodes").iterdir())
    more = run("three", 4, episodes=7)  # resumed with another --num-envs: the same sequence goes on
    assert more.returns[:5] == one.returns and more.kept == 7


def test_num_envs_with_a_checkpoint_acting_and_the_demonstrator_labelling(tmp_path, micro_config):
    from gato_agent import Gato, GatoAgent

    env = envs.make("InvertedPendulum-v5")
    GatoAgent(Gato(micro_config), env.observation_space, env.action_space).save_pretrained(tmp_path / "ckpt")
    result = collect(CollectConfig(env="InvertedPendulum-v5", out=tmp_path / "dagger", policy=f"gato:{tmp_path / 'ckpt'}",
                                   label="expert", episodes=4, num_envs=3, max_episode_steps=20, progress=False))
    dataset = minari.MinariDataset(str(result.data_path))
    assert [m["seed"] for m in dataset.storage.get_episode_metadata(range(4))] == [0, 1, 2, 3]
    demo = get_demonstrator("InvertedPendulum-v5")
    demo.reset(env)
    for episode in dataset.iterate_episodes():
        labels = np.stack([demo.act(o, env) for o in episode.observations[:-1]])
        np.testing.assert_allclose(episode.actions, labels, atol=1e-5)
        env.reset(seed=int(episode.id))
        replayed = [env.step(a)[0] for a in episode.infos["executed_action"]]
        np.testing.assert_allclose(replayed, episode.observations[1:], atol=1e-6)
