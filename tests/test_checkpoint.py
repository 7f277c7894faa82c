"""Checkpoints: round trip, and clear errors for what does not match."""

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from minari.serialization import serialize_space

from gato_agent import Gato, GatoAgent
from gato_agent import checkpoint
from gato_agent.checkpoint import CheckpointError, Task, load_checkpoint, save_checkpoint, save_run_checkpoint

OBS, ACT = spaces.Box(-1, 1, (3,), np.float32), spaces.Box(-2, 2, (2,), np.float32)


@pytest.fixture
def saved(tmp_path, micro_config):
    torch.manual_seed(0)
    prompt = {"observations": np.zeros((2, 3), np.float32), "actions": np.ones((2, 2), np.float32)}
    agent = GatoAgent(Gato(micro_config), OBS, ACT, prompt=prompt)
    agent.save_pretrained(tmp_path / "ckpt")
    return agent, tmp_path / "ckpt"


def test_round_trip_gives_the_same_actions(saved):
    agent, path = saved
    loaded = GatoAgent.from_pretrained(path)
    assert loaded.observation_space == OBS and loaded.action_space == ACT
    assert torch.equal(loaded.prompt.ids, agent.prompt.ids)
    obs = np.array([0.1, -0.5, 0.9], np.float32)
    for _ in range(3):
        assert np.array_equal(agent.act(obs), loaded.act(obs))
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "prompt-default.safetensors"]


@pytest.mark.parametrize("encoder", ["patches", "cnn"])
def test_image_prompts_are_stored_as_pixels_and_load_exactly(encoder, tmp_path, micro_config):
    from safetensors.torch import load_file

    config = dataclasses.replace(micro_config, image_encoder=encoder, image_height=48, image_width=48)
    image = spaces.Box(0, 255, (60, 50, 3), np.uint8)
    frames = np.random.default_rng(0).integers(0, 256, (3, 60, 50, 3), dtype=np.uint8)
    agent = GatoAgent(Gato(config), image, spaces.Discrete(4), prompt={"observations": frames, "actions": np.arange(3)})
    agent.save_pretrained(tmp_path / "ckpt")
    stored = load_file(tmp_path / "ckpt" / "prompt-default.safetensors")["patches"]
    assert stored.dtype == torch.uint8 and stored.shape == agent.prompt.patches.shape
    loaded = GatoAgent.from_pretrained(tmp_path / "ckpt")
    assert torch.equal(loaded.prompt.patches, agent.prompt.patches)  # the very floats the codec made


@pytest.mark.parametrize("encoder, naming", [("patches", "patches"), ("cnn", "patches"), ("cnn", "one-trunk")])
def test_checkpoints_with_older_weight_names_load(encoder, naming, tmp_path, micro_config):
    """Checkpoints that name the image encoder `patches.*` (before gato_agent.images), and CNN ones
    written before FrameCNN had trunks (patches.conv/hidden/proj), load and act as they did."""
    from safetensors.torch import load_file, save_file

    config = dataclasses.replace(micro_config, image_encoder=encoder, image_height=48, image_width=48)
    agent = GatoAgent(Gato(config), spaces.Box(0, 255, (60, 50, 3), np.uint8), spaces.Discrete(4))
    agent.save_pretrained(tmp_path / "ckpt")
    weights = tmp_path / "ckpt" / "model.safetensors"
    new = "images.trunks.0." if naming == "one-trunk" else "images."
    save_file({k.replace(new, "patches."): v for k, v in load_file(weights).items()}, weights)
    assert not any(k.startswith("images.") for k in load_file(weights))
    assert naming != "one-trunk" or "patches.hidden.weight" in load_file(weights)
    loaded = load_checkpoint(tmp_path / "ckpt").model.state_dict()
    assert loaded.keys() == agent.model.state_dict().keys()
    assert all(torch.equal(v, loaded[k]) for k, v in agent.model.state_dict().items())


def test_loads_with_agent_options_and_matching_spaces(saved):
    _, path = saved
    agent = GatoAgent.from_pretrained(path, observation_space=OBS, action_space=ACT, num_envs=3, use_cache=False)
    assert agent.num_envs == 3 and agent.cache is None


def test_a_space_mismatch_says_what_differs(saved):
    _, path = saved
    with pytest.raises(ValueError, match=r"saved for other spaces than the env's \(Box\(-1.0, 1.0, \(4,\), float32\) -> None\); its tasks: Box\(-1.0, 1.0, \(3,\), float32\) -> Box\(-2.0, 2.0, \(2,\), float32\): default"):
        GatoAgent.from_pretrained(path, observation_space=spaces.Box(-1, 1, (4,), np.float32))
    with pytest.raises(ValueError, match=r"task 'default' of checkpoint .* has the action space Box.*but the env's is Discrete\(2\)"):
        GatoAgent.from_pretrained(path, task="default", action_space=spaces.Discrete(2))
    with pytest.raises(ValueError, match=r"has no task 'Pong'; its tasks: default"):
        GatoAgent.from_pretrained(path, task="Pong")


def test_weights_that_do_not_match_the_config_say_why(saved):
    _, path = saved
    meta = json.loads((path / "config.json").read_text())
    meta["model"]["num_layers"] = 3
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"does not match .*config.json: config.json says num_layers=3, the weights have num_layers=2; missing from the weights: blocks\.2\."):
        load_checkpoint(path)
    meta["model"]["num_layers"], meta["model"]["embed_dim"] = 2, 64
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"config.json says embed_dim=64, the weights have embed_dim=32;.* has shape \(32, 32\) in the weights but \(64, 64\)"):
        load_checkpoint(path)
    meta["model"]["embed_dims"] = 64
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="unknown GatoConfig field"):
        load_checkpoint(path)


def test_missing_paths_and_files(tmp_path, saved):
    with pytest.raises(FileNotFoundError, match="not a gato-agent checkpoint: config.json is missing"):
        load_checkpoint(tmp_path / "nowhere")
    _, path = saved
    (path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors is missing"):
        load_checkpoint(path)


def test_multi_task_checkpoints_choose_by_name_or_spaces(tmp_path, micro_config):
    cartpole, pendulum = gym.make("CartPole-v1"), gym.make("Pendulum-v1")
    tasks = {
        "CartPole-v1": Task(cartpole.observation_space, cartpole.action_space, info={"return": 500.0}),
        "Pendulum-v1": Task(pendulum.observation_space, pendulum.action_space),
    }
    save_checkpoint(tmp_path, Gato(micro_config), tasks)
    by_spaces = GatoAgent.from_pretrained(tmp_path, observation_space=pendulum.observation_space, action_space=pendulum.action_space)
    assert by_spaces.action_space == pendulum.action_space
    assert GatoAgent.from_pretrained(tmp_path, task="CartPole-v1").action_space == cartpole.action_space
    assert load_checkpoint(tmp_path).tasks["CartPole-v1"].info == {"return": 500.0}
    with pytest.raises(ValueError, match=r"holds several tasks \(CartPole-v1, Pendulum-v1\): pass task= or the env's observation_space"):
        GatoAgent.from_pretrained(tmp_path)


def test_a_tasks_context_steps_round_trip_and_a_bad_one_is_named(tmp_path, micro_config):
    pendulum = gym.make("Pendulum-v1")
    save_checkpoint(tmp_path, Gato(micro_config), {"Pendulum-v1": Task(pendulum.observation_space, pendulum.action_space, context_steps=3)})
    assert load_checkpoint(tmp_path).tasks["Pendulum-v1"].context_steps == 3
    meta = json.loads((tmp_path / "config.json").read_text())
    meta["tasks"]["Pendulum-v1"]["context_steps"] = "3"
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="the context_steps of task 'Pendulum-v1' is '3'; it must be an integer >= 1"):
        load_checkpoint(tmp_path)


def test_training_runs_resolve_through_latest(tmp_path, micro_config):
    model = Gato(micro_config)
    save_checkpoint(tmp_path / "step-0000010", model, trainer_state={"step": 10})
    (tmp_path / "latest").write_text("step-0000010\n")
    loaded = load_checkpoint(tmp_path, trainer_state=True)
    assert loaded.path == tmp_path / "step-0000010" and loaded.trainer_state == {"step": 10}
    save_checkpoint(tmp_path / "plain", model)
    with pytest.raises(FileNotFoundError, match="holds no training state"):
        load_checkpoint(tmp_path / "plain", trainer_state=True)


def test_run_checkpoints_rotate_and_move_latest(tmp_path, micro_config):
    model = Gato(micro_config)
    for step in (3, 6, 9):
        state = {"step": step, "bits": [np.int64(7), {"n": np.uint32(2)}]}
        folder = save_run_checkpoint(tmp_path, model, {}, state, step, keep=2)
        assert folder == tmp_path / f"step-{step:07d}"
        assert (tmp_path / "latest").read_text() == f"step-{step:07d}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step-0000006", "step-0000009"]
    loaded = load_checkpoint(tmp_path, trainer_state=True)  # weights_only: numpy ints were made plain
    assert loaded.trainer_state == {"step": 9, "bits": [7, {"n": 2}]}


@pytest.mark.parametrize("keep", [1, 2])
def test_rotation_deletes_only_the_step_folders_its_run_wrote(tmp_path, micro_config, keep):
    model = Gato(micro_config)
    mine = ["step-best", "step-0000000-init", "step-7", "damaged-step-0000001"]
    for name in mine:
        (tmp_path / name).mkdir()
        (tmp_path / name / "note").write_text("a user's copy")
    for step in (2, 4, 6):
        save_run_checkpoint(tmp_path, model, {}, {"step": step}, step, keep=keep)
    written = [f"step-{s:07d}" for s in (2, 4, 6)][-keep:]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["latest", *mine, *written])
    assert load_checkpoint(tmp_path, trainer_state=True).trainer_state == {"step": 6}
    assert checkpoint.step_folders(tmp_path) == [tmp_path / name for name in written]


def test_the_embedded_checkpoint_covers_the_default_suite_with_prompts():
    import envs

    folder = checkpoint.embedded_checkpoint_path()
    assert sum(f.stat().st_size for f in folder.iterdir()) <= 40 * 2**20  # ships inside the package: issue 36 caps it at 40 MB (21 MB today)
    assert not (folder / checkpoint.TRAINER_FILE).exists()
    loaded = load_checkpoint(None)
    assert sorted(loaded.tasks) == sorted(envs.SUITES["default"])
    # a task without a prompt acts on its current timestep (Walker2d and most Meta-World tasks)
    unprompted = [name for name, task in loaded.tasks.items() if task.prompt is None]
    assert all(loaded.tasks[name].context_steps == 1 for name in unprompted)
    assert not any(name.startswith(("ALE/", "BabyAI-")) for name in unprompted) and "Meta-World/reach-v3" not in unprompted
    for name, task in loaded.tasks.items():  # what the registry's envs declare today
        made = envs.make(name)
        assert (task.observation_space, task.action_space) == (made.observation_space, made.action_space), name
        made.close()
    env = envs.make("InvertedPendulum-v5")
    agent = GatoAgent.from_pretrained(task="InvertedPendulum-v5")
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        action = agent.act(obs)
        assert env.action_space.contains(action)
        obs, *_ = env.step(action)


def test_a_missing_embedded_checkpoint_says_how_to_pass_one(monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoint, "embedded_checkpoint_path", lambda: tmp_path / "default")
    with pytest.raises(FileNotFoundError, match="no checkpoint is embedded .* --checkpoint PATH"):
        GatoAgent.from_pretrained()


def test_model_only_checkpoint_needs_spaces(tmp_path, micro_config):
    save_checkpoint(tmp_path, Gato(micro_config))
    with pytest.raises(ValueError, match="stores no task spaces: pass observation_space= and action_space="):
        GatoAgent.from_pretrained(tmp_path)
    env = gym.make("CartPole-v1")
    agent = GatoAgent.from_pretrained(tmp_path, observation_space=env.observation_space, action_space=env.action_space)
    assert env.action_space.contains(agent.act(env.reset(seed=0)[0]))


def test_saving_again_replaces_files_and_leaves_no_temporaries(saved, micro_config):
    agent, path = saved
    other = GatoAgent(Gato(dataclasses.replace(micro_config)), OBS, ACT)
    other.save_pretrained(path)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors"]  # the stale prompt is gone
    other.save_pretrained(path, task="other")
    loaded = load_checkpoint(path)
    assert list(loaded.tasks) == ["other"] and loaded.tasks["other"].prompt is None
    assert torch.equal(loaded.model.tokens.weight, other.model.tokens.weight)


def test_uniform_box_bounds_are_written_once_and_read_back_equal(tmp_path, micro_config):
    frame = spaces.Box(0, 255, (210, 160, 3), np.uint8)
    mixed = spaces.Dict({"pixels": frame, "state": spaces.Box(np.array([-1.0, 0.0]), np.array([1.0, np.inf]), dtype=np.float64)})
    tasks = {"frame": Task(frame, spaces.Discrete(4)), "mixed": Task(mixed, OBS)}
    save_checkpoint(tmp_path, Gato(micro_config), tasks)
    assert (tmp_path / "config.json").stat().st_size < 10_000  # 100,800 bounds each way, written once
    loaded = load_checkpoint(tmp_path).tasks
    assert loaded["frame"].observation_space == frame
    assert loaded["mixed"].observation_space == mixed
    assert loaded["mixed"].action_space == OBS
    assert checkpoint._deserialize(serialize_space(frame)) == frame  # Minari's full form still reads


def test_saved_files_have_the_permissions_of_ordinary_files(saved, tmp_path):
    _, path = saved
    (tmp_path / "plain").write_text("")
    plain = (tmp_path / "plain").stat().st_mode & 0o777
    assert {f.name: f.stat().st_mode & 0o777 for f in path.iterdir()} == {f.name: plain for f in path.iterdir()}


def test_text_tokenizer_is_saved_in_the_checkpoint_and_used_on_load(tmp_path, micro_config):
    from gato_agent.checkpoint import TOKENIZER_FILE
    from gato_agent.text import default_text_tokenizer, train_sentencepiece

    space = spaces.Dict({"mission": spaces.Text(20, charset="abcdefghijklmnopqrstuvwxyz "),
                         "grid": spaces.MultiDiscrete(np.full((3, 3), 5), dtype=np.uint8)})
    own = train_sentencepiece(["go to the door", "open the box"] * 4, vocab_size=300)
    agent = GatoAgent(Gato(micro_config), space, spaces.Discrete(3), text_tokenizer=own)
    agent.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / TOKENIZER_FILE).is_file()
    loaded = GatoAgent.from_pretrained(tmp_path / "ckpt")
    assert loaded.obs_codec.text_tokenizer == own != default_text_tokenizer()
    assert loaded.observation_space == space
    obs = {"mission": "go to the door", "grid": np.zeros((3, 3), np.uint8)}
    assert loaded.act(obs) == agent.act(obs)
    save_checkpoint(tmp_path / "ckpt", loaded.model, {"t": Task(spaces.Discrete(2), spaces.Discrete(3))})
    assert not (tmp_path / "ckpt" / TOKENIZER_FILE).exists()  # no task observes text any more


def test_a_missing_or_damaged_text_tokenizer_is_named(tmp_path, micro_config):
    from gato_agent.checkpoint import TOKENIZER_FILE, CheckpointError

    space = spaces.Dict({"mission": spaces.Text(20), "direction": spaces.Discrete(4)})
    save_checkpoint(tmp_path / "ckpt", Gato(micro_config), {"t": Task(space, spaces.Discrete(3))})
    (tmp_path / "ckpt" / TOKENIZER_FILE).write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match=rf"{TOKENIZER_FILE} is damaged \(11 bytes"):
        load_checkpoint(tmp_path / "ckpt")
    (tmp_path / "ckpt" / TOKENIZER_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=f"observe text but no {TOKENIZER_FILE}"):
        load_checkpoint(tmp_path / "ckpt")
