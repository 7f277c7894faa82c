"""Every failure caused by input or environment is one line naming the input, with the exit status of
gato_agent.cli (2 bad input, 1 a failed run, 130 Ctrl-C), no traceback, and nothing written before lost.

Each case goes through a command's real entry point, `main([...])`, with its output captured.
"""

import errno
import json
import os
import signal
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from gato_agent import Gato, GatoAgent, GatoConfig
from gato_agent.checkpoint import load_checkpoint
from rollouts.collect import main as collect_main
from rollouts.eval import main as eval_main
from rollouts.train import main as train_main

_cartpole = gym.make("CartPole-v1")
CARTPOLE = (_cartpole.observation_space, _cartpole.action_space)
MICRO = GatoConfig(num_layers=1, embed_dim=32, num_heads=4, ff_dim=64, context_length=64, text_vocab_size=1024,
                   image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default outputs and MUJOCO_LOG.TXT stay out of the repo


def run(main, args, capsys):
    """A command's exit status and stderr, checked to hold no traceback."""
    code = main([*args, "--no-progress"])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, err


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def checkpoint(tmp_path):
    """A micro CartPole checkpoint (its folder)."""
    torch.manual_seed(0)
    GatoAgent(Gato(MICRO), *CARTPOLE).save_pretrained(tmp_path / "ckpt", task="CartPole-v1")
    return tmp_path / "ckpt"


def damage(folder: Path, how: str) -> tuple[Path, list[str]]:
    """Damage a checkpoint `how`; -> the file damaged and phrases its error must hold."""
    weights, config = folder / "model.safetensors", folder / "config.json"
    meta = json.loads(config.read_text())
    if how == "truncated":
        size = weights.stat().st_size
        weights.write_bytes(weights.read_bytes()[: size // 2])
        return weights, ["damaged", f"holds {size // 2} bytes", f"describes {size} bytes"]
    if how == "empty":
        weights.write_bytes(b"")
        return weights, ["damaged", "holds 0 bytes", "take"]
    if how == "bad-json":
        config.write_text(config.read_text()[:60])
        return config, ["not valid JSON"]
    if how == "no-model":
        del meta["model"]
    elif how == "unknown-space":
        meta["tasks"]["CartPole-v1"]["action_space"] = json.dumps({"type": "Graph"})
    elif how == "string-field":
        meta["model"]["context_length"] = "256"
    config.write_text(json.dumps(meta))
    return config, {"no-model": ["no 'model' entry"], "unknown-space": ["unknown space type 'Graph'", "readable: Box"],
                    "string-field": ["context_length='256'", "must be an integer"]}[how]


DAMAGES = ["truncated", "empty", "bad-json", "no-model", "unknown-space", "string-field"]


@pytest.fixture
def dataset(make_dataset):
    return make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=12)


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("command", ["eval --checkpoint", "eval --policy", "collect", "train --init", "from_pretrained"])
def test_a_damaged_checkpoint_is_one_line_naming_the_file(command, how, checkpoint, tmp_path, capsys, make_dataset):
    damaged, phrases = damage(checkpoint, how)
    before = files_of(checkpoint)
    if command == "from_pretrained":
        with pytest.raises(ValueError) as error:
            GatoAgent.from_pretrained(checkpoint)
        message = str(error.value)
    else:
        main, args = {
            "eval --checkpoint": (eval_main, ["--env", "CartPole-v1", "--checkpoint", str(checkpoint)]),
            "eval --policy": (eval_main, ["--env", "CartPole-v1", "--policy", f"gato:{checkpoint}"]),
            "collect": (collect_main, ["--env", "CartPole-v1", "--policy", f"checkpoint:{checkpoint}", "--out", "data"]),
            "train --init": (train_main, ["--dataset", "unused", "--init", str(checkpoint), "--out", "run"]),
        }[command]
        code, message = run(main, args, capsys)
        assert code == 2
    assert str(damaged) in message and all(p in message for p in phrases), message
    assert files_of(checkpoint) == before


def test_debug_adds_the_traceback(checkpoint, capsys):
    damage(checkpoint, "empty")
    assert eval_main(["--env", "CartPole-v1", "--checkpoint", str(checkpoint), "--debug", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().splitlines()[-1].startswith("gato-eval: error:")


def train_args(dataset, out, *more):
    config = Path(out).parent / "micro.json"
    config.write_text(json.dumps(MICRO.to_dict()))
    return ["--dataset", str(dataset), "--out", str(out), "--config", str(config), "--batch-size", "2", "--steps", "6",
            "--warmup-steps", "1", "--log-every", "1", "--checkpoint-every", "2", "--threads", "1", *more]


def steps_of(run_dir: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_resume_falls_back_to_the_newest_intact_step(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert run(train_main, train_args(dataset, out, "--stop-after", "4"), capsys)[0] == 0
    assert sorted(p.name for p in out.glob("step-*")) == ["step-0000002", "step-0000004"]
    damaged, _ = damage(out / "step-0000004", "truncated")
    code, err = run(train_main, train_args(dataset, out, "--resume"), capsys)
    assert code == 0
    assert str(damaged) in err and "going on from step-0000002" in err
    assert (out / "latest").read_text().strip() == "step-0000006"
    assert (out / "damaged-step-0000004" / "model.safetensors").exists()  # set aside, not deleted
    assert steps_of(out) == [1, 2, 3, 4, 5, 6]
    for step in ("step-0000004", "step-0000006"):  # nothing intact is left: exit 2 naming the damaged file
        damage(out / step, "empty")
    code, err = run(train_main, train_args(dataset, out, "--resume", "--steps", "6"), capsys)
    assert code == 2 and str(out / "step-0000006" / "model.safetensors") in err and "no older intact step-*" in err
    assert (out / "step-0000004").exists() and (out / "step-0000006").exists()


def _interrupt_at(monkeypatch, step):
    """Make the training loop see Ctrl-C in its `step`-th batch."""
    import gato_agent.batches as loop  # where the loop computes each micro-batch's loss

    calls = []

    def loss(*args, **kwargs):
        calls.append(1)
        if len(calls) == step:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    real = loop.action_loss
    monkeypatch.setattr(loop, "action_loss", loss)


def test_ctrl_c_names_the_last_step_and_the_resume_command(dataset, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    args = train_args(dataset, out)
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 6)  # after step 5 was logged and step 4 saved
        code, err = run(train_main, args, capsys)
    assert code == 130
    assert "step 4 is intact" in err and f"gato-train {' '.join(args)} --no-progress --resume" in err
    assert steps_of(out) == [1, 2, 3, 4, 5]
    assert run(train_main, [*args, "--resume"], capsys)[0] == 0
    assert steps_of(out) == [1, 2, 3, 4, 5, 6]  # step 5 once, though the killed run had logged it


def _signal_at(monkeypatch, step, *signals):
    """Send `signals` to this process in the training loop's `step`-th batch (as `kill` or a
    scheduler's preemption would), then let the step go on."""
    import gato_agent.batches as loop  # where the loop computes each micro-batch's loss

    calls = []

    def loss(*args, **kwargs):
        calls.append(1)
        if len(calls) == step:
            for sig in signals:
                os.kill(os.getpid(), sig)
        return real(*args, **kwargs)

    real = loop.action_loss
    monkeypatch.setattr(loop, "action_loss", loss)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_step_under_way_then_stops(sig, dataset, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    args = train_args(dataset, out)
    # the handlers the process started with (SIGINT is ignored when it was started in the background)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with monkeypatch.context() as patch:
        _signal_at(patch, 5, sig)  # checkpoints every 2 steps: step 5 would not be saved otherwise
        code, err = run(train_main, args, capsys)
    assert code == 130
    assert signal.Signals(sig).name in err and "step 5 is intact" in err and "--resume" in err
    assert (out / "latest").read_text().strip() == "step-0000005" and steps_of(out) == [1, 2, 3, 4, 5]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # the command's handlers are gone
    assert run(train_main, [*args, "--resume"], capsys)[0] == 0
    assert steps_of(out) == [1, 2, 3, 4, 5, 6]


def test_a_second_signal_stops_at_once_from_the_last_checkpoint(dataset, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _signal_at(patch, 5, signal.SIGTERM, signal.SIGTERM)
        code, err = run(train_main, train_args(dataset, out), capsys)
    assert code == 130 and "step 4 is intact" in err
    assert (out / "latest").read_text().strip() == "step-0000004"


def test_sigterm_stops_gato_collect_keeping_its_episodes(tmp_path, capsys, monkeypatch):
    def policy_killed_in_its_30th_step():
        steps = []

        def act(obs):
            steps.append(1)
            if len(steps) == 30:
                os.kill(os.getpid(), signal.SIGTERM)
            return int(obs[2] > 0)

        return act

    monkeypatch.setitem(sys.modules, "killer", type(sys)("killer"))
    sys.modules["killer"].policy = policy_killed_in_its_30th_step()
    code, err = run(collect_main, ["--env", "CartPole-v1", "--policy", "killer:policy", "--episodes", "5",
                                   "--max-episode-steps", "12", "--out", "data"], capsys)
    assert code == 130 and "2 episodes are saved" in err, err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_killed_run_started_again_leaves_no_stale_rows(dataset, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    args = train_args(dataset, out, "--checkpoint-every", "5")
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 4)
        code, err = run(train_main, args, capsys)
    assert code == 130 and "before the first checkpoint" in err
    assert steps_of(out) == [1, 2, 3]
    assert run(train_main, args, capsys)[0] == 0
    assert steps_of(out) == [1, 2, 3, 4, 5, 6]


def test_a_full_disk_during_a_checkpoint_is_one_line_and_leaves_no_partial_files(dataset, tmp_path, capsys, monkeypatch):
    import matplotlib.figure

    import gato_agent.checkpoint as ckpt

    out = tmp_path / "run"
    writes = []

    def full_after_one(tensors, path, *args, **kwargs):  # the disk fills in the 2nd checkpoint's weights
        writes.append(path)
        if len(writes) >= 3:  # weights and prompt of step 2, then step 4's weights
            Path(path).write_bytes(b"\0" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(tensors, path, *args, **kwargs)

    def no_room(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"")
        raise OSError(errno.ENOSPC, "No space left on device")

    real_save = ckpt.save_file
    monkeypatch.setattr(ckpt, "save_file", full_after_one)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", no_room)
    code, err = run(train_main, train_args(dataset, out), capsys)
    assert code == 1
    assert err.strip().splitlines() == [f"gato-train: error: disk full while writing step 4; step 2 is intact ({out / 'step-0000002'}): "
                                        "free some space and go on with --resume"]
    assert sorted(p.name for p in out.iterdir()) == [".lock", "latest", "metrics.jsonl", "step-0000002", "train_config.json"]
    assert not [p for p in out.rglob("*") if p.is_file() and p.stat().st_size == 0]
    assert load_checkpoint(out).path == out / "step-0000002"


@pytest.mark.parametrize("flag,value", [("--checkpoint-every", "0"), ("--batch-size", "0"), ("--steps", "0"),
                                        ("--keep-checkpoints", "0"), ("--log-every", "0"), ("--lr", "nan"),
                                        ("--warmup-steps", "-1"), ("--prompt-prob", "1.5"), ("--history-noise", "-0.1"), ("--episode-start-prob", "1.5"),
                                        ("--label-sigma", "-0.1"), ("--seed", "-5"),
                                        ("--stop-after", "0"), ("--grad-clip", "inf")])
def test_numeric_train_flags_are_checked_before_any_work(flag, value, dataset, tmp_path, capsys):
    code, err = run(train_main, [*train_args(dataset, tmp_path / "run"), flag, value], capsys)
    assert code == 2 and f"gato-train: error: {flag} must be" in err and value in err
    assert not (tmp_path / "run").exists()


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("kept\n")
    return path


@pytest.mark.parametrize("command", ["eval", "collect", "train"])
@pytest.mark.parametrize("where", ["/proc/x", "through a file"])
def test_an_unusable_out_is_a_usage_error(command, where, a_file, dataset, capsys):
    out = "/proc/x" if where == "/proc/x" else str(a_file / "sub")
    main, args = {
        "eval": (eval_main, ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1"]),
        "collect": (collect_main, ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1"]),
        "train": (train_main, train_args(dataset, a_file.parent / "unused")),
    }[command]
    code, err = run(main, [*args, "--out", out], capsys)
    assert code == 2 and f"--out {out}: cannot create this folder" in err
    assert a_file.read_text() == "kept\n"


@pytest.mark.parametrize("main,flag,value", [(eval_main, "--seed", "-5"), (eval_main, "--temperature", "nan"),
                                             (collect_main, "--seed", "-5"), (collect_main, "--max-episode-steps", "0")])
def test_bad_seeds_and_temperatures_are_usage_errors(main, flag, value, capsys):
    code, err = run(main, ["--env", "CartPole-v1", "--policy", "random", "--out", "o", flag, value], capsys)
    assert code == 2 and f"{flag} must be " in err and value in err


@pytest.mark.parametrize("seed", [str(2**32), str(2**63), str(2**64), "-1"])
@pytest.mark.parametrize("command", ["eval", "collect", "train"])
def test_a_seed_outside_0_to_2_32_is_refused_alike_before_any_work(command, seed, dataset, tmp_path, capsys):
    main, args = {
        "eval": (eval_main, ["--env", "InvertedPendulum-v5", "--policy", "random", "--episodes", "2", "--no-video"]),
        "collect": (collect_main, ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1"]),
        "train": (train_main, train_args(dataset, tmp_path / "unused")),  # the last --out counts
    }[command]
    code, err = run(main, [*args, "--out", str(tmp_path / "out"), "--seed", seed], capsys)
    assert code == 2 and err.strip().splitlines() == [f"gato-{command}: error: --seed must be an integer from 0 to 4294967295 "
                                                      f"(2**32 - 1), got {seed}"], err
    assert not (tmp_path / "out").exists()


def test_the_agent_refuses_a_nan_temperature():
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        GatoAgent(Gato(MICRO), *CARTPOLE, temperature=float("nan"))


@pytest.fixture
def raising_policy(tmp_path, monkeypatch, request):
    """module:callable of a policy that raises in its 8th call: episode 1, step 2 with 5-step episodes."""
    name = f"raising_{request.node.name.split('[')[0][-20:]}"
    (tmp_path / f"{name}.py").write_text("calls = []\n\ndef act(obs):\n    calls.append(1)\n"
                                         "    if len(calls) == 8:\n        raise RuntimeError('the network is down\\nsecond line')\n"
                                         "    return 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield f"{name}:act"
    sys.modules.pop(name, None)


def test_a_raising_policy_is_named_with_episode_seed_and_step_in_gato_eval(raising_policy, tmp_path, capsys):
    code, err = run(eval_main, ["--env", "CartPole-v1", "--policy", raising_policy, "--episodes", "3", "--seed", "10",
                                "--max-episode-steps", "5", "--out", "o", "--no-video"], capsys)
    assert code == 1
    assert (f"gato-eval: CartPole-v1 failed (--policy {raising_policy}): the policy raised in episode 1 (seed 11) at step 2: "
            "RuntimeError: the network is down") in err and "second line" not in err
    [task] = json.loads((tmp_path / "o" / "results.json").read_text())["tasks"]
    assert task["status"] == "error" and task["seeds"] == [10] and task["lengths"] == [5]  # the finished episode is kept


def test_a_raising_policy_is_named_with_episode_seed_and_step_in_gato_collect(raising_policy, tmp_path, capsys):
    code, err = run(collect_main, ["--env", "CartPole-v1", "--policy", raising_policy, "--episodes", "3", "--seed", "10",
                                   "--max-episode-steps", "5", "--out", "data"], capsys)
    assert code == 1
    assert f"--policy {raising_policy} raised in episode 1 (seed 11), step 2: RuntimeError: the network is down" in err
    assert "The 1 episodes recorded before it are kept" in err
    assert sorted(p.name for p in (tmp_path / "data" / "episodes").iterdir()) == ["episode_000000.hdf5"]


def test_agent_reset_and_batches_say_what_is_accepted():
    agent = GatoAgent(Gato(MICRO), *CARTPOLE)
    for env_ids, says in (([0.7], "0.7 is not an integer"), (1, "write reset([1])"), (["a"], "'a' is not an integer")):
        with pytest.raises(TypeError, match=r"reset takes None \(all envs\) or a sequence of env indices") as error:
            agent.reset(env_ids)
        assert says in str(error.value)
    with pytest.raises(ValueError, match=r"out of range for num_envs=1"):
        agent.reset([3])
    with pytest.raises(ValueError, match=r"batch of 2 observations, but this agent was made with num_envs=1: make it with num_envs=2"):
        agent.act(np.zeros((2, 4), np.float32))
    agent.reset([np.int64(0)])
    assert agent.act(np.zeros(4, np.float32)) in (0, 1)


@pytest.mark.parametrize("command", ["eval --checkpoint", "eval --policy", "collect"])
def test_hub_ids_resolve_like_from_pretrained(command, checkpoint, tmp_path, monkeypatch, capsys):
    hf = pytest.importorskip("huggingface_hub")
    from tests.test_hub import cache_snapshot

    cache_snapshot(tmp_path / "hf", "org/cart", checkpoint)
    monkeypatch.setattr(hf.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(hf.constants, "HF_HUB_OFFLINE", True)
    main, args = {
        "eval --checkpoint": (eval_main, ["--checkpoint", "org/cart", "--episodes", "1", "--out", "o", "--no-video"]),
        "eval --policy": (eval_main, ["--policy", "gato:hf://org/cart", "--episodes", "1", "--out", "o", "--no-video"]),
        "collect": (collect_main, ["--policy", "gato:hf://org/cart", "--episodes", "1", "--out", "data"]),
    }[command]
    code, err = run(main, ["--env", "CartPole-v1", "--max-episode-steps", "3", *args], capsys)
    assert code == 0, err
    code, err = run(main, ["--env", "CartPole-v1", *[a.replace("cart", "missing") for a in args]], capsys)
    assert code == 2 and "org/missing" in err


def test_an_interrupt_without_a_message_says_interrupted(capsys):
    from gato_agent.cli import run_command

    def body():
        raise KeyboardInterrupt

    assert run_command("gato-collect", body) == 130
    assert capsys.readouterr().err == "gato-collect: interrupted\n"
