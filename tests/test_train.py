"""gato-train: behaviour cloning that fits, resumes exactly, and runs under torchrun."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from pathlib import Path

import numpy as np
import pytest
import torch

from gato_agent import GatoAgent
from gato_agent.checkpoint import load_checkpoint
from gato_agent.cli import UsageError
from gato_agent.model import Gato
from gato_agent.train import TrainConfig, main, train


REPO = str(Path(__file__).resolve().parents[1])


def cartpole_policy(obs):
    return int(obs[2] + 0.1 * obs[3] > 0)


def pendulum_policy(obs):
    return np.clip([-2.0 * obs[2] - 0.5 * obs[1]], -2.0, 2.0).astype(np.float32)


@pytest.fixture
def micro_json(tmp_path, micro_config):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(dataclasses.replace(micro_config, context_length=128).to_dict()))
    return str(path)


def run_cfg(out, datasets, micro_json, **kw):
    base = dict(dataset=[str(d) for d in datasets], out=out, config=micro_json, batch_size=4, steps=6,
                warmup_steps=2, lr=3e-3, log_every=1, checkpoint_every=3, progress=False, threads=1)
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("env_id,policy", [("CartPole-v1", cartpole_policy), ("Pendulum-v1", pendulum_policy)])
def test_overfitting_two_episodes_reproduces_the_demonstrator(env_id, policy, make_dataset, micro_json, tmp_path):
    path = make_dataset(env_id, policy, episodes=2, max_steps=16)
    cfg = run_cfg(tmp_path / "run", [path], micro_json, steps=250, warmup_steps=20, prompt_prob=0.0, checkpoint_every=250)
    result = train(cfg)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows]
    assert losses[0] > 0.5 and np.mean(losses[-10:]) < 0.05
    assert all(r["task_loss"] == {env_id: pytest.approx(r["loss"], rel=1e-5)} for r in rows)  # one task, one step per row
    assert (tmp_path / "run" / "loss.png").stat().st_size > 0
    # the agent, fed the recorded observations, takes the recorded actions
    import minari

    dataset = minari.MinariDataset(str(path / "data"))
    agent = GatoAgent.from_pretrained(tmp_path / "run", prompt=None)
    half_bin = 4.0 / 1024  # Pendulum's actions span [-2, 2]
    for episode in dataset.iterate_episodes():
        agent.reset()
        for obs, action in zip(episode.observations[:-1], episode.actions):
            assert np.allclose(agent.act(obs), action, atol=half_bin + 1e-6)
    assert result.step == 250


@pytest.mark.parametrize("normalize", [False, True])
def test_a_regression_head_fits_continuous_actions_and_the_checkpoint_acts_with_it(make_dataset, micro_json, tmp_path, normalize):
    path = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=16)
    cfg = run_cfg(tmp_path / "run", [path], micro_json, steps=250, warmup_steps=20, prompt_prob=0.0, checkpoint_every=250,
                  model_overrides={"continuous_actions": "regression"}, normalize_actions=normalize)
    train(cfg)
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert np.mean(losses[-10:]) < 0.05 * losses[0]  # squared error on the [-1, 1] scale
    import minari

    agent = GatoAgent.from_pretrained(tmp_path / "run", prompt=None)
    assert agent.model.config.continuous_actions == "regression"
    errors = []
    for episode in minari.MinariDataset(str(path / "data")).iterate_episodes():
        agent.reset()
        errors += [abs(float(agent.act(obs)[0] - action[0])) for obs, action in zip(episode.observations[:-1], episode.actions)]
    assert np.mean(errors) < 0.1  # on Pendulum's [-2, 2]; an untrained head answers about 0 for actions up to 2


def test_normalize_actions_needs_a_regression_head(make_dataset, micro_json, tmp_path):
    path = make_dataset("Pendulum-v1", pendulum_policy, episodes=1, max_steps=8)
    with pytest.raises(UsageError, match="--normalize-actions .* continuous_actions is 'bins'; add --model-overrides continuous_actions regression"):
        train(run_cfg(tmp_path / "run", [path], micro_json, normalize_actions=True))


def test_resume_keeps_the_runs_normalize_actions(make_dataset, micro_json, tmp_path):
    path = make_dataset("Pendulum-v1", pendulum_policy, episodes=1, max_steps=8)
    cfg = run_cfg(tmp_path / "run", [path], micro_json, model_overrides={"continuous_actions": "regression"},
                  normalize_actions=True, stop_after=2)
    train(cfg)
    with pytest.raises(ValueError, match="--resume: the run was trained with --normalize-actions"):
        train(dataclasses.replace(cfg, resume=True, normalize_actions=False, stop_after=None))
    assert train(dataclasses.replace(cfg, resume=True, stop_after=None)).step == cfg.steps


def test_a_fine_tune_keeps_the_action_variances_its_init_recorded(make_dataset, micro_json, tmp_path):
    rng = np.random.default_rng(0)
    wide = make_dataset("Pendulum-v1", lambda obs: rng.uniform(-2, 2, 1).astype(np.float32), episodes=2, max_steps=20)
    still = make_dataset("Pendulum-v1", lambda obs: np.array([0.3], np.float32), episodes=1, max_steps=10, seed=1)  # a DAgger set's spread
    regression = dict(model_overrides={"continuous_actions": "regression"}, normalize_actions=True, steps=3)
    recorded = lambda run: load_checkpoint(run).tasks["Pendulum-v1"].info["action_variance"]  # noqa: E731
    train(run_cfg(tmp_path / "base", [wide], micro_json, **regression))
    base = recorded(tmp_path / "base")
    assert 0.2 < base < 0.45  # uniform on [-1, 1]
    train(run_cfg(tmp_path / "tune", [still], micro_json, init=tmp_path / "base", stop_after=2, **regression))
    assert recorded(tmp_path / "tune") == base
    train(run_cfg(tmp_path / "tune", [still], micro_json, init=tmp_path / "base", resume=True, **regression))
    assert recorded(tmp_path / "tune") == base
    train(run_cfg(tmp_path / "fresh", [still], micro_json, init=tmp_path / "base", init_action_variance=False, **regression))
    assert recorded(tmp_path / "fresh") == pytest.approx(1e-4)  # measured on the constant actions: the floor


def test_resume_gives_the_same_next_losses(make_dataset, micro_json, tmp_path):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "straight", [path], micro_json))
    train(run_cfg(tmp_path / "cut", [path], micro_json, stop_after=4))  # stops with a checkpoint at step 4
    assert (tmp_path / "cut" / "latest").read_text().strip() == "step-0000004"
    with pytest.raises(ValueError, match=r"--resume: the run's learning-rate schedule is .*'steps': 6.*'steps': 9.*bend its cosine"):
        train(run_cfg(tmp_path / "cut", [path], micro_json, resume=True, steps=9))
    train(run_cfg(tmp_path / "cut", [path], micro_json, resume=True))
    read = lambda run: [json.loads(line)["loss"] for line in (tmp_path / run / "metrics.jsonl").read_text().splitlines()]
    straight, cut = read("straight"), read("cut")
    assert len(straight) == len(cut) == 6
    assert straight == pytest.approx(cut, rel=1e-5, abs=1e-6)


def test_two_process_torchrun_ends_with_identical_weights(make_dataset, micro_json, tmp_path):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    script = tmp_path / "ddp.py"
    script.write_text(textwrap.dedent(f"""
        import os, torch
        from pathlib import Path
        from gato_agent.train import TrainConfig, train
        result = train(TrainConfig(dataset=[{str(path)!r}], out=Path({str(tmp_path / 'ddp')!r}), config={micro_json!r},
                                   batch_size=2, steps=3, warmup_steps=1, checkpoint_every=3, progress=False, threads=1))
        torch.save(result.model.state_dict(), {str(tmp_path)!r} + f"/rank{{os.environ['RANK']}}.pt")
    """))
    # this tree's packages, not an installed copy; gloo on the loopback device, whatever the host's name resolves to
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO, "GLOO_SOCKET_IFNAME": "lo"}
    # --standalone: a free port of its own, so a shared host's other runs cannot answer this run's rendezvous
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(script)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True) as run:
        try:
            _, stderr = run.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)  # torchrun and both of its workers
            pytest.fail(f"torchrun hung for 240 s; its stderr ended with:\n{run.communicate()[1][-3000:]}")
    assert run.returncode == 0, stderr[-3000:]
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    initial = Gato(load_checkpoint(tmp_path / "ddp").model.config).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], initial[k]) for k in a if not k.endswith(("_lo", "_hi")))
    assert torch.equal(load_checkpoint(tmp_path / "ddp").model.tokens.weight, a["tokens.weight"])
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir() if p.name.startswith("step")) == ["step-0000003"]


def test_init_starts_from_a_checkpoints_weights(make_dataset, micro_json, tmp_path):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "first", [path], micro_json))
    trained = load_checkpoint(tmp_path / "first").model
    tuned = train(run_cfg(tmp_path / "tuned", [path], "tiny", init=tmp_path / "first", context_length=64, steps=1, lr=1e-9))
    assert tuned.model.config == dataclasses.replace(trained.config, context_length=64)  # not the tiny preset
    for name, value in trained.state_dict().items():  # one step at a learning rate of 5e-10
        assert torch.allclose(tuned.model.state_dict()[name], value, atol=1e-7), name


def test_init_with_model_overrides_keeps_the_weights_whose_shapes_stay(make_dataset, micro_json, tmp_path, capsys):
    """Frame stacking on top of a single-frame checkpoint: the patch block's reshaped convolutions
    and projection start fresh (and are named); every other weight is the checkpoint's."""
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    path = make_dataset("ALE/Pong-v5", lambda obs: 0, episodes=1, max_steps=12)
    train(run_cfg(tmp_path / "first", [path], micro_json, steps=1))
    trained = load_checkpoint(tmp_path / "first").model
    overrides = {"frame_stack": 2, "image_channels": 1}
    stacked = train(run_cfg(tmp_path / "stacked", [path], micro_json, init=tmp_path / "first", steps=1, lr=1e-9,
                            model_overrides=overrides))
    assert stacked.model.config == dataclasses.replace(trained.config, frame_stack=2, image_channels=1)
    reshaped = {"images.norm1.weight", "images.norm1.bias", "images.conv1.weight", "images.conv2.weight",
                "images.conv2.bias", "images.proj.weight"}
    for name, value in trained.state_dict().items():  # one step at a learning rate of 5e-10
        new = stacked.model.state_dict()[name]
        assert (new.shape == value.shape and torch.allclose(new, value, atol=1e-7)) != (name in reshaped), name
    err = capsys.readouterr().err
    assert all(name in err for name in reshaped)
    with pytest.raises(ValueError, match="frame_stak"):
        train(run_cfg(tmp_path / "typo", [path], micro_json, model_overrides={"frame_stak": 2}))
    overrides = {"image_encoder": "cnn", "image_height": 48, "image_width": 48}
    cnn = train(run_cfg(tmp_path / "cnn", [path], micro_json, init=tmp_path / "first", steps=1, lr=1e-9,
                        model_overrides=overrides)).model
    for name, value in cnn.state_dict().items():  # the whole new encoder is fresh, even a same-shape bias
        old = trained.state_dict().get(name)
        kept = old is not None and old.shape == value.shape and torch.allclose(old, value, atol=1e-7)
        assert kept != name.startswith("images."), name


def test_trainable_takes_the_image_encoders_old_name_for_one_trunk(make_dataset, micro_json, tmp_path):
    """--trainable 'patches.trunks.1.*' (the name before gato_agent.images) trains trunk 1 alone, as
    'images.trunks.1.*' does, and a run started with one spelling resumes with the other."""
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    path = make_dataset("ALE/Pong-v5", lambda obs: 0, episodes=1, max_steps=12)
    overrides = {"image_encoder": "cnn", "image_height": 48, "image_width": 48, "cnn_trunks": 2}
    train(run_cfg(tmp_path / "base", [path], micro_json, steps=1, model_overrides=overrides))
    base = load_checkpoint(tmp_path / "base").model.state_dict()
    tuned = run_cfg(tmp_path / "tuned", [path], micro_json, init=tmp_path / "base", steps=2, lr=1e-2,
                    trainable=["patches.trunks.1.*"], stop_after=1)
    train(tuned)
    after = load_checkpoint(tmp_path / "tuned").model.state_dict()
    changed = {name for name, value in base.items() if not torch.equal(after[name], value)}
    assert changed and all(name.startswith("images.trunks.1.") for name in changed), changed
    assert train(dataclasses.replace(tuned, resume=True, stop_after=None, trainable=["images.trunks.1.*"])).step == 2


def test_trainable_freezes_the_other_weights_and_keeps_the_init_tasks(make_dataset, micro_json, tmp_path):
    """Fine-tuning part of a model on one task: the weights outside --trainable stay bit-identical,
    and --keep-init-tasks carries the task it did not train (and its prompt) into the checkpoint."""
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "first", [cart, pend], micro_json, steps=3))
    first = load_checkpoint(tmp_path / "first")
    more_cart = make_dataset("CartPole-v1", cartpole_policy, episodes=3, max_steps=20, seed=10)
    tuned = run_cfg(tmp_path / "tuned", [more_cart], micro_json, init=tmp_path / "first", steps=4, lr=1e-2,
                    trainable=["blocks.0.*", "ln_f.*"], keep_init_tasks=True)
    train(tuned)
    after = load_checkpoint(tmp_path / "tuned", trainer_state=True)
    changed = {name for name, value in first.model.state_dict().items() if not torch.equal(after.model.state_dict()[name], value)}
    assert changed and all(name.startswith(("blocks.0.", "ln_f.")) for name in changed), changed
    assert list(after.tasks) == ["CartPole-v1", "Pendulum-v1"]  # --init's order, the trained task's entry renewed
    assert (first.tasks["CartPole-v1"].info["episodes"], after.tasks["CartPole-v1"].info["episodes"]) == (2, 3)
    assert torch.equal(after.tasks["Pendulum-v1"].prompt.ids, first.tasks["Pendulum-v1"].prompt.ids)
    assert after.trainer_state["trainable"] == ["blocks.0.*", "ln_f.*"]
    with pytest.raises(ValueError, match=r"trained --trainable \['blocks.0.\*', 'ln_f.\*'\], not all weights"):
        train(dataclasses.replace(tuned, resume=True, steps=4, trainable=[]))
    with pytest.raises(ValueError, match=r"--trainable 'encoder.\*' matches no weight of the model; its weights are named .*blocks\.\*"):
        train(dataclasses.replace(tuned, out=tmp_path / "typo", trainable=["encoder.*"]))
    with pytest.raises(ValueError, match=r"prompts, cut for its context of 128 tokens; train at that context \(not 64\)"):
        train(dataclasses.replace(tuned, out=tmp_path / "shorter", context_length=64))
    with pytest.raises(ValueError, match="--keep-init-tasks keeps the tasks of --init's checkpoint: pass --init too"):
        train(run_cfg(tmp_path / "noinit", [cart], micro_json, keep_init_tasks=True))


def test_checkpoints_carry_tasks_with_prompts(make_dataset, micro_json, tmp_path):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "run", [cart, pend], micro_json, steps=3, weight=[2.0, 1.0]))
    ckpt = load_checkpoint(tmp_path / "run", trainer_state=True)
    assert list(ckpt.tasks) == ["CartPole-v1", "Pendulum-v1"]
    cart_task = ckpt.tasks["CartPole-v1"]
    assert cart_task.prompt.ids.shape[1] == 64 // 6 * 6  # whole timesteps in half the context
    assert cart_task.info["episodes"] == 2 and cart_task.info["return_max"] == 20.0
    assert ckpt.trainer_state["step"] == 3 and ckpt.trainer_state["tasks"] == ["CartPole-v1", "Pendulum-v1"]
    agent = GatoAgent.from_pretrained(tmp_path / "run", task="Pendulum-v1")
    assert agent.prompt is not None and agent.action_space.shape == (1,)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert set().union(*(r["task_loss"] for r in rows)) == {"CartPole-v1", "Pendulum-v1"}
    assert all(0 <= a <= 1 for r in rows for a in r["task_accuracy"].values())


def test_a_task_trained_on_its_last_timesteps_acts_on_as_many(make_dataset, micro_json, tmp_path):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "run", [cart, pend], micro_json, steps=3, task_context_steps={"Pendulum-v1": 2}))
    ckpt = load_checkpoint(tmp_path / "run")
    assert ckpt.tasks["Pendulum-v1"].context_steps == 2 and ckpt.tasks["Pendulum-v1"].prompt is None
    assert ckpt.tasks["CartPole-v1"].context_steps is None and ckpt.tasks["CartPole-v1"].prompt is not None
    assert GatoAgent.from_pretrained(tmp_path / "run", task="Pendulum-v1").context_steps == 2
    assert GatoAgent.from_pretrained(tmp_path / "run", task="CartPole-v1").context_steps is None
    with pytest.raises(UsageError, match="--task-context-steps names Pong-v5, not a task of these datasets; their tasks: CartPole-v1"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_context_steps={"Pong-v5": 1}))
    with pytest.raises(UsageError, match="--task-context-steps CartPole-v1 22: 22 timesteps of 6 tokens do not fit in the "
                                         "context of 128; at most 21"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_context_steps={"CartPole-v1": 22}))
    with pytest.raises(UsageError, match="--task-context-steps CartPole-v1"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_context_steps={"CartPole-v1": 0}))


def test_window_prompts_give_a_windowed_task_a_prompt_the_agent_acts_on(make_dataset, micro_json, tmp_path):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=20)
    train(run_cfg(tmp_path / "run", [cart, pend], micro_json, steps=3, task_context_steps={"Pendulum-v1": 2},
                  window_prompts=True))
    task = load_checkpoint(tmp_path / "run").tasks["Pendulum-v1"]
    assert task.context_steps == 2 and task.prompt.shape == (1, 5 * 12)  # the best episode's last 12 of 20 steps: half of 128
    agent = GatoAgent.from_pretrained(tmp_path / "run", task="Pendulum-v1")
    assert agent.context_steps == 2 and agent.prompt.shape == (1, 60)
    with pytest.raises(UsageError, match="--window-prompts prompts the tasks of --task-context-steps, and it names none"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, window_prompts=True))


def test_task_prompt_prob_prompts_one_windowed_task_only(make_dataset, micro_json, tmp_path):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=20)
    windowed = {"CartPole-v1": 2, "Pendulum-v1": 2}
    train(run_cfg(tmp_path / "run", [cart, pend], micro_json, steps=3, task_context_steps=windowed,
                  task_prompt_prob={"Pendulum-v1": 1.0}))
    tasks = load_checkpoint(tmp_path / "run").tasks
    assert tasks["Pendulum-v1"].prompt is not None and tasks["CartPole-v1"].prompt is None  # no --window-prompts
    assert GatoAgent.from_pretrained(tmp_path / "run", task="Pendulum-v1").prompt.shape == (1, 60)
    with pytest.raises(UsageError, match="--task-prompt-prob names Pong-v5, not a task of these datasets"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_prompt_prob={"Pong-v5": 1.0}))
    with pytest.raises(UsageError, match="--task-prompt-prob CartPole-v1"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_prompt_prob={"CartPole-v1": 1.5}))


def test_mismatched_runs_and_inputs_are_clear_errors(make_dataset, micro_json, tmp_path, capsys):
    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=10)
    pend = make_dataset("Pendulum-v1", pendulum_policy, episodes=2, max_steps=10)
    train(run_cfg(tmp_path / "run", [cart], micro_json, steps=3))
    with pytest.raises(ValueError, match=r"trained on tasks \['CartPole-v1'\], not \['Pendulum-v1'\]"):
        train(run_cfg(tmp_path / "run", [pend], micro_json, resume=True))
    with pytest.raises(FileExistsError, match="already holds a training run: pass --resume"):
        train(run_cfg(tmp_path / "run", [cart], micro_json))
    with pytest.raises(FileNotFoundError, match="holds no checkpoint"):
        train(run_cfg(tmp_path / "fresh", [cart], micro_json, resume=True))
    with pytest.raises(ValueError, match=r"no --dataset given"):
        train(run_cfg(tmp_path / "x", [], micro_json))
    with pytest.raises(ValueError, match="neither a preset"):
        train(run_cfg(tmp_path / "x", [cart], "huge"))
    with pytest.raises(ValueError, match="--task-history-noise names Pong-v5, not a task of these datasets; their tasks: CartPole-v1"):
        train(run_cfg(tmp_path / "x", [cart], micro_json, task_history_noise={"Pong-v5": 1.0}))
    assert main(["--dataset", str(tmp_path / "missing"), "--out", str(tmp_path / "y"), "--no-progress"]) == 2
    assert "no Minari dataset at" in capsys.readouterr().err


def test_tensorboard_gets_the_same_scalars_as_metrics_jsonl(make_dataset, micro_json, tmp_path):
    pytest.importorskip("tensorboard")
    from tests.test_loggers import tensorboard_scalars

    cart = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=10)
    evaluate = lambda model, tasks, cfg, step: {f"eval/{name}/return": float(step) for name in tasks}
    train(run_cfg(tmp_path / "run", [cart], micro_json, steps=4, log_every=2, eval_every=2, logger=["tensorboard"]), evaluate)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    scalars = tensorboard_scalars(tmp_path / "run" / "tensorboard")
    assert scalars["loss"] == [(r["step"], pytest.approx(r["loss"])) for r in rows if "loss" in r]
    assert scalars["task_accuracy/CartPole-v1"] == [(r["step"], pytest.approx(r["task_accuracy"]["CartPole-v1"])) for r in rows if "loss" in r]
    assert scalars["eval/CartPole-v1/return"] == [(2, 2.0), (4, 4.0)]
    assert {"accuracy", "grad_norm", "lr", "tokens_per_s", "task_loss/CartPole-v1"} <= set(scalars)


def test_asking_for_a_missing_logger_is_an_install_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "wandb", None)
    assert main(["--dataset", "x", "--out", str(tmp_path / "run"), "--logger", "jsonl", "--logger", "wandb", "--no-progress"]) == 2
    assert "pip install 'gato-agent[wandb]'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_bf16_on_cpu_trains(make_dataset, micro_json, tmp_path):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=16)
    train(run_cfg(tmp_path / "run", [path], micro_json, steps=30, warmup_steps=5, prompt_prob=0.0, checkpoint_every=30, precision="bf16"))
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    assert json.loads((tmp_path / "run" / "train_config.json").read_text())["precision"] == "bf16"
    assert load_checkpoint(tmp_path / "run").model.tokens.weight.dtype == torch.float32


def test_init_from_the_hub_and_push_to_it(make_dataset, micro_json, tmp_path, monkeypatch):
    hf = pytest.importorskip("huggingface_hub")
    from tests.test_hub import cache_snapshot

    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    first = train(run_cfg(tmp_path / "first", [path], micro_json, steps=3))
    cache_snapshot(tmp_path / "hf", "org/first", first.checkpoint)
    monkeypatch.setattr(hf.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))  # what HF_HOME gives at import
    monkeypatch.setattr(hf.constants, "HF_HUB_OFFLINE", True)
    uploads = []
    monkeypatch.setattr(hf.HfApi, "create_repo", lambda self, repo_id, private, exist_ok: None)
    monkeypatch.setattr(hf.HfApi, "upload_folder", lambda self, *, repo_id, folder_path, commit_message: uploads.append(
        (repo_id, sorted(p.name for p in Path(folder_path).iterdir()), (Path(folder_path) / "README.md").read_text())) or SimpleNamespace(commit_url=""))
    assert main(["--dataset", str(path), "--out", str(tmp_path / "tuned"), "--config", micro_json, "--steps", "1", "--no-progress",
                 "--init", "hf://org/first", "--push-to-hub", "org/tuned", "--hub-dataset", "org/cartpole"]) == 0
    tuned = load_checkpoint(tmp_path / "tuned").model
    for name, value in first.model.state_dict().items():  # one step at a warmup learning rate of 6e-7
        assert torch.allclose(tuned.state_dict()[name], value, atol=1e-4), name
    assert not torch.allclose(Gato(tuned.config).tokens.weight, first.model.tokens.weight, atol=1e-4)
    [(repo_id, files, card)] = uploads
    assert repo_id == "org/tuned" and "trainer.pt" not in files and "model.safetensors" in files
    assert "library_name: gato-agent" in card and "org/cartpole" in card


def test_fsdp_on_two_cpu_ranks_matches_ddp(make_dataset, micro_json, tmp_path):
    """torch's fully_shard runs on gloo: two ranks sharding the model reach DDP's weights and losses, and resume exactly."""
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=20)
    script = tmp_path / "strategies.py"
    script.write_text(textwrap.dedent(f"""
        from pathlib import Path
        import torch.distributed as dist
        from gato_agent.train import TrainConfig, train
        dist.init_process_group("gloo")  # one group for the four runs (train leaves a caller's group alone)
        run = lambda out, strategy, **kw: train(TrainConfig(
            dataset=[{str(path)!r}], out=Path({str(tmp_path)!r}) / out, config={micro_json!r}, strategy=strategy, batch_size=2,
            steps=3, warmup_steps=1, lr=3e-3, log_every=1, checkpoint_every=2, progress=False, threads=1, **kw))
        run("ddp", "ddp")
        run("fsdp", "fsdp")
        run("cut", "fsdp", stop_after=2)
        run("cut", "fsdp", resume=True)
        dist.destroy_process_group()
    """))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29534", str(script)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    ddp, fsdp = (load_checkpoint(tmp_path / s, trainer_state=True) for s in ("ddp", "fsdp"))
    for name, value in ddp.model.state_dict().items():
        assert torch.allclose(fsdp.model.state_dict()[name], value, atol=1e-5), name
    read = lambda s: [json.loads(line)["loss"] for line in (tmp_path / s / "metrics.jsonl").read_text().splitlines()]
    assert read("fsdp") == pytest.approx(read("ddp"), rel=1e-4)
    assert read("cut") == pytest.approx(read("fsdp"), rel=1e-5, abs=1e-6)  # resumed from the gathered optimizer state
    assert fsdp.trainer_state["strategy"] == "fsdp" and set(fsdp.trainer_state["optimizer"]["state"]) >= {"tokens.weight"}


def test_a_fresh_run_refuses_an_out_of_other_files_and_rotation_keeps_a_users_step_folder(make_dataset, micro_json, tmp_path, capsys):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=12)
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"step": 1, "loss": 0.5}\n')  # a user's own file
    assert main(["--dataset", str(path), "--out", str(out), "--config", micro_json, "--steps", "2", "--no-progress"]) == 2
    assert "already holds files (metrics.jsonl) and no training run" in capsys.readouterr().err
    assert (out / "metrics.jsonl").read_text() == '{"step": 1, "loss": 0.5}\n'
    # a run's own folder: a user's step-best, kept by hand mid-run, is not rotated and takes no slot
    run = tmp_path / "run2"
    train(run_cfg(run, [path], micro_json, steps=6, checkpoint_every=2, keep_checkpoints=1, stop_after=2))
    (run / "step-best").mkdir()
    (run / "step-best" / "weights").write_text("kept by hand")
    train(run_cfg(run, [path], micro_json, steps=6, checkpoint_every=2, keep_checkpoints=1, resume=True))
    assert sorted(p.name for p in run.glob("step-*")) == ["step-0000006", "step-best"]
    assert load_checkpoint(run, trainer_state=True).trainer_state["step"] == 6


def test_training_into_the_dataset_folder_it_trains_on_is_refused(make_dataset, micro_json, capsys):
    path = make_dataset("CartPole-v1", cartpole_policy, episodes=2, max_steps=12)
    before = sorted(p.name for p in path.rglob("*"))
    assert main(["--dataset", str(path), "--out", str(path), "--config", micro_json, "--steps", "2", "--no-progress"]) == 2
    assert "already holds files (data) and no training run" in capsys.readouterr().err
    assert sorted(p.name for p in path.rglob("*") if p.name != ".lock") == before


def test_an_eval_every_task_that_cannot_be_evaluated_is_said_on_stderr(make_dataset, micro_json, tmp_path, monkeypatch, capsys):
    import gymnasium as gym

    from rollouts.train import main as gato_train

    # registered while recording, unknown by the time the run evaluates it (as a module:EnvId's env)
    gym.register("Lean/Env-v0", entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv", max_episode_steps=20)
    path = make_dataset("Lean/Env-v0", cartpole_policy, episodes=2, max_steps=5)
    monkeypatch.delitem(gym.registry, "Lean/Env-v0")
    code = gato_train(["--dataset", str(path), "--out", str(tmp_path / "run"), "--config", micro_json, "--steps", "2",
                       "--eval-every", "2", "--eval-episodes", "1", "--batch-size", "2", "--threads", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0 and "gato-train: warning: --eval-every at step 2: Lean/Env-v0 could not be evaluated: UnknownTaskError" in err, err
