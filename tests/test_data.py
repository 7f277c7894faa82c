"""Behaviour-cloning data: Minari episodes to whole-timestep token sequences, with prompts."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch

from gato_agent.data import SequenceSampler, load_task, merge_tasks
from gato_agent.model import SHARED_WINDOW


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


@pytest.fixture
def cartpole(make_dataset):
    return make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=30)


def test_episodes_tokenize_to_whole_timesteps(cartpole, micro_config):
    task = load_task(cartpole, micro_config)
    assert task.name == "CartPole-v1" and task.step_tokens == 4 + 1 + 1
    episode = task.episodes[0]
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=0)
    expected = task.obs_codec.tokenize(obs[None], 1)[0][0].tolist() + [micro_config.separator_id, cartpole_policy(obs)]
    assert episode.ids[0].tolist() == expected
    assert len(episode.ids) == 30 and episode.ret == 30.0
    assert task.timestep.is_action.tolist() == [False] * 5 + [True]


def test_sequences_hold_targets_only_at_action_tokens(cartpole, micro_config):
    config = dataclasses.replace(micro_config, context_length=64)
    task = load_task(cartpole, config)
    batch = SequenceSampler([task], None, 64, seed=0, prompt_prob=0.0).sample(4)
    assert batch.tokens.shape == (4, 64)
    ids, targets = batch.tokens.ids, batch.targets
    used = 64 // 6 * 6
    assert (targets[:, :used] >= 0).sum() == 4 * (used // 6)  # one action token per timestep
    assert torch.equal(targets[targets >= 0], ids[targets >= 0])
    assert (ids[:, 4:used:6] == config.separator_id).all()  # every timestep is whole
    assert (targets[:, used:] == -1).all() and (ids[:, used:] == 0).all()  # padding after
    assert (batch.lo[targets >= 0] == 0).all() and (batch.hi[targets >= 0] == 2).all()


def test_executed_actions_are_the_history_and_labels_the_targets(make_dataset, micro_config):
    # DAgger's data: the learner's action was executed, the demonstrator's is the label.
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=30, executed=lambda obs: 0)
    task = load_task(path, micro_config)
    episode = task.episodes[0]
    assert (episode.ids[:, -1] == 1).any() and (episode.executed == 0).all()  # (T, 1) ids each
    batch = SequenceSampler([task], None, 6 * 8, seed=0, prompt_prob=0.0).sample(2)
    at_action = batch.targets >= 0
    assert (batch.tokens.ids[at_action] == 0).all()  # the model reads what was executed
    assert (batch.targets[at_action] == 1).any()  # and learns the labels
    labels_only = load_task(path, micro_config, executed_actions=False)
    assert labels_only.episodes[0].executed is None
    batch = SequenceSampler([labels_only], None, 6 * 8, seed=0, prompt_prob=0.0).sample(2)
    assert torch.equal(batch.tokens.ids[batch.targets >= 0], batch.targets[batch.targets >= 0])


def test_images_become_patches_in_token_order(make_dataset, micro_config):
    import ale_py

    gym.register_envs(ale_py)
    path = make_dataset("ALE/Pong-v5", lambda obs: 0, episodes=1, max_steps=8)
    task = load_task(path, micro_config)
    assert task.episodes[0].images.shape == (8, 1, 3, 32, 32) and task.episodes[0].images.dtype == np.uint8
    batch = SequenceSampler([task], None, 6 * task.step_tokens, seed=0, prompt_prob=0.0).sample(2)
    assert batch.tokens.patches.shape[0] == int(batch.tokens.patch_mask.sum()) == 2 * 6 * 4
    assert batch.tokens.patch_idx[:8].tolist() == [0, 1, 2, 3, 0, 1, 2, 3]


def test_prompts_come_from_the_same_task_end_or_anywhere(make_dataset, micro_config):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=4, max_steps=40)
    config = dataclasses.replace(micro_config, context_length=120)
    task = load_task(path, config)
    sampler = SequenceSampler([task], None, 120, seed=1, prompt_prob=1.0)
    starts = {tuple(e.ids[:2].reshape(-1)) for e in task.episodes}
    ends = {tuple(e.ids[-10:].reshape(-1)) for e in task.episodes}
    from_end = 0
    for _ in range(40):
        ids = sampler.sample(1).tokens.ids[0].numpy()
        prompt = tuple(ids[: 10 * 6])  # 20 timesteps fit; the prompt is half of them
        from_end += prompt in ends
    assert 10 < from_end < 30  # about half from an episode's end
    assert len(starts) == 4


def test_episode_windows_start_at_the_first_step_with_start_prob(make_dataset, micro_config):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=4, max_steps=40)
    config = dataclasses.replace(micro_config, context_length=120)
    task = load_task(path, config)
    assert min(len(e.ids) for e in task.episodes) > 20  # longer than the 20 timesteps a sequence holds
    starts = {tuple(e.ids[:2].reshape(-1)) for e in task.episodes}

    def share_at_start(prob: float) -> float:
        sampler = SequenceSampler([task], None, 120, seed=2, prompt_prob=0.0, start_prob=prob)
        return np.mean([tuple(sampler.sample(1).tokens.ids[0, :12].numpy()) in starts for _ in range(40)])

    assert share_at_start(1.0) == 1.0
    assert share_at_start(0.0) < 0.2  # uniform: about 1 in 21 window positions
    assert 0.3 < share_at_start(0.5) < 0.8
    with pytest.raises(ValueError, match=r"start_prob is a chance in \[0, 1\]; got 1.5"):
        SequenceSampler([task], None, 120, seed=2, start_prob=1.5)


def test_history_noise_replaces_input_actions_but_never_the_targets(make_dataset, micro_config):
    path = make_dataset("Pendulum-v1", lambda obs: np.array([np.clip(-2 * obs[2], -2, 2)], np.float32), episodes=2, max_steps=40)
    task = load_task(path, micro_config)
    clean = SequenceSampler([task], None, 64, seed=3, prompt_prob=0.0).sample(8)
    noisy = SequenceSampler([task], None, 64, seed=3, prompt_prob=0.0, history_noise=0.3).sample(8)
    action = clean.targets >= 0
    assert torch.equal(noisy.targets, clean.targets)  # the same sequences, the labels untouched
    assert torch.equal(noisy.tokens.ids[~action], clean.tokens.ids[~action])  # observations untouched
    changed = noisy.tokens.ids[action] != clean.tokens.ids[action]
    assert 0.15 < changed.float().mean() < 0.45  # about 30% of the action history
    ids = noisy.tokens.ids[action]
    assert ((ids >= noisy.lo[action]) & (ids < noisy.hi[action])).all()  # always a legal action token
    assert len(set(ids[changed].tolist())) > changed.sum() // 2  # uniform over the bins, not one value


def test_history_noise_per_task_touches_only_its_task(make_dataset, cartpole, micro_config):
    path = make_dataset("Pendulum-v1", lambda obs: np.array([np.clip(-2 * obs[2], -2, 2)], np.float32), episodes=2, max_steps=40)
    tasks = [load_task(path, micro_config), load_task(cartpole, micro_config)]
    clean = SequenceSampler(tasks, None, 64, seed=5, prompt_prob=0.0).sample(16)
    noisy = SequenceSampler(tasks, None, 64, seed=5, prompt_prob=0.0, history_noise=[0.0, 1.0]).sample(16)
    assert set(clean.task.tolist()) == {0, 1} and torch.equal(noisy.task, clean.task)
    action = clean.targets >= 0
    changed = (noisy.tokens.ids != clean.tokens.ids) & action  # (B, L)
    assert not changed[clean.task == 0].any()  # the pendulum keeps its history
    assert changed[clean.task == 1].any()  # CartPole's is noise (half of it by chance the same action)
    with pytest.raises(ValueError, match="one per task"):
        SequenceSampler(tasks, None, 64, seed=5, history_noise=[0.5])


def test_context_steps_pack_windows_of_a_tasks_last_timesteps(make_dataset, cartpole, micro_config):
    path = make_dataset("Pendulum-v1", lambda obs: np.array([np.clip(-2 * obs[2], -2, 2)], np.float32), episodes=2, max_steps=40)
    tasks = [load_task(path, micro_config), load_task(cartpole, micro_config)]  # 5 and 6 tokens a step
    batch = SequenceSampler(tasks, None, 64, seed=5, prompt_prob=[1.0, 0.0], context_steps=[None, 2]).sample(16)
    short = batch.task == 1
    assert short.any() and (~short).any()
    assert (batch.windows[~short] == 0).all()  # one window a row
    for row in batch.windows[short]:  # 64 // 6 = 10 timesteps: five windows of two, then padding
        assert row.tolist() == sum([[w] * 12 for w in range(5)], []) + [5] * 4
    assert ((batch.targets[short] >= 0).sum(1) == 10).all()  # no prompt at its chance 0
    assert batch.to("cpu").windows is not None
    starts = [SequenceSampler(tasks[1:], None, 64, seed=5, start_prob=p, context_steps=[1]).sample(4) for p in (0.0, 1.0)]
    assert torch.equal(starts[0].tokens.ids, starts[1].tokens.ids)  # short windows start uniformly, start_prob aside
    assert SequenceSampler(tasks[:1], None, 64, seed=5).sample(2).windows is None
    with pytest.raises(ValueError, match="one context_steps"):
        SequenceSampler(tasks, None, 64, seed=5, context_steps=[0, 2])


def test_a_windowed_task_drawing_a_prompt_puts_it_before_its_windows(make_dataset, cartpole, micro_config):
    """A windowed sequence that draws a prompt begins with at most half the context of one
    demonstration (window SHARED_WINDOW), then as many windows as fit after it; each task draws
    with its own chance."""
    task = load_task(cartpole, micro_config)  # 6 tokens a step; 64 // 6 = 10 timesteps a row
    rows = SequenceSampler([task], None, 64, seed=5, prompt_prob=1.0, context_steps=[2]).sample(8)
    for row, targets in zip(rows.windows, rows.targets):
        prompt = int((row == SHARED_WINDOW).sum()) // 6  # timesteps
        assert 1 <= prompt <= 5 and row[: prompt * 6].eq(SHARED_WINDOW).all()
        count = (10 - prompt) // 2
        assert row[prompt * 6 :].tolist() == sum([[w] * 12 for w in range(count)], []) + [count] * (64 - 6 * prompt - 12 * count)
        assert (targets >= 0).sum() == prompt + 2 * count  # CartPole: one action token a step, the prompt's too
    never = SequenceSampler([task], None, 64, seed=5, prompt_prob=0.0, context_steps=[2]).sample(8)
    assert not (never.windows == SHARED_WINDOW).any()
    path = make_dataset("Pendulum-v1", lambda obs: np.array([np.clip(-2 * obs[2], -2, 2)], np.float32), episodes=2, max_steps=40)
    both = SequenceSampler([load_task(path, micro_config), task], None, 64, seed=5, prompt_prob=[0.0, 1.0], context_steps=[2, 2]).sample(16)
    prompted = (both.windows == SHARED_WINDOW).any(1)  # (B,)
    assert set(both.task.tolist()) == {0, 1} and torch.equal(prompted, both.task == 1)
    with pytest.raises(ValueError, match="one prompt_prob in"):
        SequenceSampler([task], None, 64, seed=5, prompt_prob=[0.5, 0.5])


def test_sampling_is_seeded_and_resumable(cartpole, micro_config):
    task = load_task(cartpole, micro_config)
    a = SequenceSampler([task], None, 64, seed=0)
    a.sample(3)
    state = a.state_dict()
    b = SequenceSampler([task], None, 64, seed=0)
    b.load_state_dict(state)
    assert torch.equal(a.sample(3).tokens.ids, b.sample(3).tokens.ids)
    c = SequenceSampler([task], None, 64, seed=0, rank=1)
    assert not torch.equal(SequenceSampler([task], None, 64, seed=0).sample(3).tokens.ids, c.sample(3).tokens.ids)


def test_tasks_are_mixed_by_weight(make_dataset, micro_config):
    cart = load_task(make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20), micro_config)
    pend = load_task(make_dataset("Pendulum-v1", lambda o: np.array([0.5], np.float32), episodes=2, max_steps=20), micro_config)
    sampler = SequenceSampler([cart, pend], [3.0, 1.0], 64, seed=0, prompt_prob=0.0)
    batch = sampler.sample(200)
    continuous = (batch.lo >= micro_config.continuous_offset).any(1)  # (B,) the Pendulum rows
    assert 0.15 < continuous.float().mean().item() < 0.35
    assert torch.equal(batch.task, continuous.long())  # each row says which task it is from
    with pytest.raises(ValueError, match="one non-negative weight per task"):
        SequenceSampler([cart, pend], [1.0], 64, seed=0)


def test_datasets_of_one_task_merge_with_summed_weights(make_dataset, micro_config):
    cart = load_task(make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20), micro_config)
    more = load_task(make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=10, seed=5), micro_config)
    pend = load_task(make_dataset("Pendulum-v1", lambda o: np.array([0.5], np.float32), episodes=2, max_steps=20), micro_config)
    tasks, weights = merge_tasks([cart, pend, more], [1.0, 2.0, 0.5])
    assert [t.name for t in tasks] == ["CartPole-v1", "Pendulum-v1"] and weights == [1.5, 2.0]
    assert len(tasks[0].episodes) == 5 and tasks[0].num_steps == cart.num_steps + more.num_steps
    assert tasks[0].source == f"{cart.source} + {more.source}"
    # inside the task each dataset keeps its weight: 1.0 / 1.5 of draws from the first
    assert tasks[0].episode_p[:2].sum() == pytest.approx(1.0 / 1.5)
    np.testing.assert_allclose(tasks[0].episode_p[:2], cart.episode_p / 1.5)
    other = dataclasses.replace(more, obs_codec=pend.obs_codec, act_codec=pend.act_codec)
    with pytest.raises(ValueError, match="are both CartPole-v1 but their observation spaces differ"):
        merge_tasks([cart, other], None)


def test_bad_datasets_are_clear_errors(tmp_path, make_dataset, micro_config, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # an id not on disk is downloaded when online
    with pytest.raises(FileNotFoundError, match="no Minari dataset at 'nowhere-v0'"):
        load_task("nowhere-v0", micro_config)
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no Minari dataset"):
        load_task(tmp_path / "empty_folder", micro_config)
    import minari

    empty = minari.create_dataset_from_buffers("empty-v0", [], env=gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="has no episodes"):
        load_task(tmp_path / "minari" / "empty-v0", micro_config)
    assert empty.total_episodes == 0
    other = make_dataset("CartPole-v1", cartpole_policy, episodes=1, max_steps=5, name="multibinary-v0")
    with pytest.raises(ValueError, match=r"cannot be tokenized: .*supported: Discrete, MultiDiscrete, Box"):
        _load_with_action_space(other, micro_config)


def _load_with_action_space(path, config):
    """Rewrite a dataset's action space to MultiBinary, which Gato does not decode."""
    import json

    meta_path = path / "data" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    from gymnasium import spaces
    from minari.serialization import serialize_space

    meta["action_space"] = serialize_space(spaces.MultiBinary(2))
    meta_path.write_text(json.dumps(meta))
    return load_task(path, config)


def _copy(dataset, tmp_path, name):
    import shutil

    copy = tmp_path / name
    shutil.copytree(dataset / "data", copy)
    return copy


@pytest.mark.parametrize("damage,phrase", [
    ("random", "main_data.hdf5 cannot be read (OSError: Unable to synchronously open file (file signature not found))"),
    ("truncated", "main_data.hdf5 cannot be read (OSError: "),
    ("bad json", "metadata.json cannot be read (JSONDecodeError: "),
])
def test_a_damaged_dataset_is_one_line_naming_it(damage, phrase, make_dataset, tmp_path, capsys):
    import json
    import os

    from rollouts.train import main

    dataset = _copy(make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10), tmp_path, "cp")
    hdf5 = dataset / "main_data.hdf5"
    if damage == "random":
        hdf5.write_bytes(os.urandom(5000))
    elif damage == "truncated":
        hdf5.write_bytes(hdf5.read_bytes()[: hdf5.stat().st_size // 2])
    else:
        (dataset / "metadata.json").write_text("{")
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({"num_layers": 1, "embed_dim": 32, "num_heads": 4, "ff_dim": 64, "context_length": 64}))
    code = main(["--dataset", str(dataset), "--config", str(config), "--steps", "2", "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and f"dataset {dataset}" in err and phrase in err, err


def test_with_several_datasets_an_error_names_the_dataset_and_the_episode(make_dataset, tmp_path, micro_config):
    import h5py

    good = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10)
    bad = _copy(make_dataset("CartPole-v1", lambda obs: 1, episodes=2, max_steps=10, seed=5), tmp_path, "bad")
    with h5py.File(bad / "main_data.hdf5", "r+") as f:
        f["episode_1/observations"][3, 0] = np.nan
    load_task(good, micro_config).episodes[1]
    task = load_task(bad, micro_config)  # episodes are read when a batch first needs them
    task.episodes[0]
    with pytest.raises(ValueError, match=rf"^dataset {bad} \(CartPole-v1\), episode 1: .*non-finite value nan"):
        task.episodes[1]
