"""Devices and acting dtypes: the cpu path acts as before, a missing device is an error naming it."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from gato_agent import Gato, GatoAgent
from gato_agent.device import available_devices, resolve_device, resolve_dtype

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")


def _actions(agent, env, steps=40):
    obs, _ = env.reset(seed=0)
    agent.reset()
    out = []
    for _ in range(steps):
        action = agent.act(obs)
        out.append(action)
        obs, *_ = env.step(action)
    return np.array(out)


def test_device_cpu_acts_as_the_default(micro_config):
    torch.manual_seed(0)
    model = Gato(micro_config)
    env = gym.make("Pendulum-v1")
    default = _actions(GatoAgent(model, env.observation_space, env.action_space), env)
    on_cpu = GatoAgent(model, env.observation_space, env.action_space, device="cpu")
    assert on_cpu.device == torch.device("cpu") and on_cpu.cache.k.device == on_cpu.device
    np.testing.assert_array_equal(_actions(on_cpu, env), default)


def test_bfloat16_acting_stays_in_the_action_space(micro_config):
    torch.manual_seed(0)
    model = Gato(micro_config)
    env = gym.make("Pendulum-v1")
    agent = GatoAgent(model, env.observation_space, env.action_space, dtype="bfloat16")
    actions = _actions(agent, env, steps=10)
    assert agent.autocast_dtype == torch.bfloat16 and all(env.action_space.contains(a) for a in actions)
    assert next(model.parameters()).dtype == torch.float32  # weights stay as stored


@no_cuda
@pytest.mark.parametrize("name", ["cuda", "cuda:1"])
def test_a_missing_cuda_device_is_an_error_naming_it(name, micro_config):
    with pytest.raises(ValueError, match=f"device '{name}' is not available"):
        resolve_device(name)
    env = gym.make("Pendulum-v1")
    with pytest.raises(ValueError, match="not available"):
        GatoAgent(Gato(micro_config), env.observation_space, env.action_space, device=name)


def test_bad_device_and_dtype_names():
    assert "cpu" in available_devices() and resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="accepted: cpu, cuda, cuda:N, mps"):
        resolve_device("tpu")
    with pytest.raises(ValueError, match="accepted: float32, bfloat16, float16"):
        resolve_dtype("fp8")
    assert resolve_dtype("float16") == torch.float16 and resolve_dtype(None) is None


@no_cuda
def test_the_clis_refuse_a_missing_device_with_exit_2(tmp_path, capsys):
    from rollouts.collect import main as collect_main
    from rollouts.eval import main as eval_main

    assert eval_main(["--env", "CartPole-v1", "--device", "cuda", "--no-progress", "--out", str(tmp_path / "e")]) == 2
    assert "--device: device 'cuda' is not available" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()  # refused before anything was written
    assert collect_main(["--env", "CartPole-v1", "--policy", "random", "--device", "cuda:0",
                         "--out", str(tmp_path / "c"), "--no-progress"]) == 2
    assert "device 'cuda:0' is not available" in capsys.readouterr().err


def test_gato_eval_on_cpu_records_the_device(tmp_path, micro_config):
    import json

    from gato_agent.checkpoint import save_checkpoint
    from rollouts.eval import main as eval_main

    torch.manual_seed(0)
    save_checkpoint(tmp_path / "ckpt", Gato(micro_config))
    out = tmp_path / "run"
    assert eval_main(["--env", "CartPole-v1", "--policy", f"gato:{tmp_path / 'ckpt'}", "--device", "cpu", "--dtype",
                      "bfloat16", "--episodes", "1", "--max-episode-steps", "5", "--no-video", "--no-progress",
                      "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["device"] == "cpu" and data["dtype"] == "bfloat16" and data["tasks"][0]["status"] == "ok"


def test_from_pretrained_and_evaluate_take_a_device(tmp_path, micro_config):
    from gato_agent.checkpoint import save_checkpoint
    from rollouts.evaluate import evaluate

    torch.manual_seed(0)
    save_checkpoint(tmp_path / "ckpt", Gato(micro_config))
    env = gym.make("CartPole-v1")
    agent = GatoAgent.from_pretrained(tmp_path / "ckpt", observation_space=env.observation_space,
                                      action_space=env.action_space, device="cpu")
    assert agent.device == torch.device("cpu")
    result = evaluate(f"gato:{tmp_path / 'ckpt'}", "CartPole-v1", episodes=1, max_episode_steps=5, progress=False,
                      device="cpu").tasks[0]
    assert result.status == "ok" and result.lengths == [5]
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda' is not available"):
            GatoAgent.from_pretrained(tmp_path / "ckpt", observation_space=env.observation_space,
                                      action_space=env.action_space, device="cuda")
        with pytest.raises(ValueError, match="device 'cuda' is not available"):
            evaluate("random", "CartPole-v1", episodes=1, progress=False, device="cuda")
