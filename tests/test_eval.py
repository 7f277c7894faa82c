"""gato-eval end to end on real envs: outputs, errors, exit codes, determinism, Ctrl-C."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

from rollouts.eval import main
from rollouts.video import count_frames

FLAGS = ["--env", "--env-kwargs", "--suite", "--checkpoint", "--policy", "--episodes", "--num-envs", "--seed", "--out",
         "--video", "--no-video", "--video-episodes", "--max-episode-steps", "--temperature", "--prompt", "--no-prompt", "--progress"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default outputs and MUJOCO_LOG.TXT stay out of the repo


def test_help_documents_every_flag(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for flag in FLAGS:
        assert flag in text, flag


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A random-init tiny Gato saved without spaces, so it loads for any task."""
    gato_agent = pytest.importorskip("gato_agent")
    from gato_agent.checkpoint import save_checkpoint

    import torch

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    save_checkpoint(path, gato_agent.Gato(gato_agent.GatoConfig.from_name("tiny")))
    return path


def test_breakout_and_mujoco_with_a_tiny_checkpoint(tiny_checkpoint, tmp_path):
    out = tmp_path / "run"
    code = main(["--env", "ALE/Breakout-v5", "--env", "Hopper-v5", "--checkpoint", str(tiny_checkpoint),
                 "--episodes", "1", "--max-episode-steps", "8", "--out", str(out), "--no-progress"])
    data = json.loads((out / "results.json").read_text())
    assert code == 0, [t["traceback"] for t in data["tasks"]]
    assert data["policy"] == f"gato:{tiny_checkpoint}" and data["checkpoint"] == str(tiny_checkpoint)
    assert data["episodes"] == 1 and data["seed"] == 0 and data["max_episode_steps"] == 8
    assert {"command", "args", "versions", "tasks", "aggregate", "interrupted"} <= data.keys()
    for task, family in zip(data["tasks"], ["atari", "mujoco"]):
        assert task["status"] == "ok" and task["family"] == family
        assert {"env_id", "make_kwargs", "seeds", "returns", "lengths", "mean", "std", "median",
                "normalized", "steps_per_second", "videos", "error"} <= task.keys()
        assert task["seeds"] == [0] and len(task["returns"]) == 1 and task["normalized"] is not None
        (video,) = task["videos"]
        assert count_frames(video) == task["lengths"][0] + 1  # the reset frame, then one per step
    assert data["tasks"][0]["make_kwargs"]["repeat_action_probability"] == 0.25
    assert data["aggregate"]["tasks"] == ["ALE/Breakout-v5", "Hopper-v5"]
    assert len(data["aggregate"]["iqm_ci95"]) == 2
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| ALE/Breakout-v5 | ok |" in (out / "summary.md").read_text()


@pytest.mark.parametrize("temperature", ["0", "1.0"])
def test_same_seed_same_checkpoint_same_returns(tiny_checkpoint, tmp_path, temperature):
    args = ["--env", "Hopper-v5", "--checkpoint", str(tiny_checkpoint), "--episodes", "2", "--num-envs", "2",
            "--max-episode-steps", "10", "--temperature", temperature, "--seed", "3", "--no-video", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert _returns(tmp_path / "a") == _returns(tmp_path / "b")


def test_checkpoint_tasks_are_chosen_by_env_id_or_spaces(tmp_path):
    gato_agent = pytest.importorskip("gato_agent")
    from gato_agent.checkpoint import Task, save_checkpoint

    import envs

    def task(env_id):
        env = envs.make(env_id)
        return Task(env.observation_space, env.action_space)

    # Pong and SpaceInvaders share their spaces: only the env id tells them apart.
    ckpt = tmp_path / "multi"
    model = gato_agent.Gato(gato_agent.GatoConfig.from_name("tiny"))
    save_checkpoint(ckpt, model, {t: task(t) for t in ("ALE/Pong-v5", "ALE/SpaceInvaders-v5", "Hopper-v5")})
    out = tmp_path / "o"
    args = ["--env", "ALE/Pong-v5", "--env", "ALE/SpaceInvaders-v5", "--checkpoint", str(ckpt), "--episodes", "1",
            "--max-episode-steps", "3", "--no-video", "--no-progress"]
    assert main([*args, "--env", "InvertedPendulum-v5", "--out", str(out)]) == 2  # the pendulum is not in the checkpoint
    assert not out.exists()
    assert main([*args, "--out", str(out)]) == 0
    pong, invaders = json.loads((out / "results.json").read_text())["tasks"]
    assert pong["status"] == invaders["status"] == "ok"


def _returns(out):
    return [t["returns"] for t in json.loads((Path(out) / "results.json").read_text())["tasks"]]


def test_same_seed_gives_identical_returns(tmp_path):
    args = ["--env", "ALE/Breakout-v5", "--env", "Reacher-v5", "--policy", "random", "--episodes", "3",
            "--num-envs", "2", "--seed", "9", "--max-episode-steps", "40", "--no-video", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert _returns(tmp_path / "a") == _returns(tmp_path / "b")
    assert not (tmp_path / "a" / "videos").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "HalfCheta-v5"], "closest known ids: HalfCheetah-v5"),
        (["--env", "Hopper-v5", "--checkpoint", "no/such/ckpt"], "no checkpoint folder at 'no/such/ckpt'"),
        (["--env", "Hopper-v5", "--policy", "random", "--episodes", "0"], "--episodes must be >= 1, got 0"),
        (["--env", "Hopper-v5", "--policy", "random", "--num-envs", "-1"], "--num-envs must be >= 1"),
        (["--env", "Hopper-v5", "--temperature", "-1"], "--temperature must be a finite number >= 0"),
        (["--suite", "everything"], "unknown suite 'everything'; known suites: atari57, babyai, default, metaworld, mujoco"),
        (["--env", "Hopper-v5", "--policy", "random", "--threads", "0"], "--threads must be >= 1, got 0"),
        ([], "no task given"),
    ],
)
def test_usage_errors_are_clear(argv, message, capsys):
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gato-eval: error: ") and message in err


def test_a_bad_policy_names_the_accepted_forms(capsys):
    assert main(["--env", "Hopper-v5", "--policy", "greedy", "--no-progress"]) == 2
    assert "unknown --policy 'greedy'; accepted: gato, gato:PATH" in capsys.readouterr().err


def test_a_bad_flag_value_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--env", "Hopper-v5", "--episodes", "many"])
    assert done.value.code == 2
    assert "many" in capsys.readouterr().err


def test_expert_policy_scores_the_demonstrator_through_the_same_harness(tmp_path):
    out = tmp_path / "expert"
    assert main(["--env", "InvertedPendulum-v5", "--policy", "expert", "--episodes", "2", "--no-video",
                 "--no-progress", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["policy"] == "expert" and data["checkpoint"] is None
    assert data["tasks"][0]["returns"] == [1000.0, 1000.0] and data["tasks"][0]["seeds"] == [0, 1]


def test_expert_serves_every_babyai_level_with_the_bot(tmp_path):
    out = tmp_path / "bot"
    assert main(["--env", "BabyAI-GoToObj-v0", "--policy", "expert", "--episodes", "2", "--no-video",
                 "--no-progress", "--out", str(out)]) == 0
    (task,) = json.loads((out / "results.json").read_text())["tasks"]
    assert task["family"] == "babyai" and task["success_rate"] == 1.0  # a level without a score of its own
    assert "(success 100%)" in (out / "summary.md").read_text()


def test_expert_on_a_task_without_demonstrator_is_a_usage_error(capsys):
    assert main(["--env", "CartPole-v1", "--policy", "expert", "--no-progress"]) == 2
    assert "no demonstrator for CartPole-v1; demonstrators exist for:" in capsys.readouterr().err


def test_the_cap_never_lengthens_reacher(tmp_path):
    out = tmp_path / "reacher"
    assert main(["--env", "Reacher-v5", "--policy", "random", "--episodes", "2", "--max-episode-steps", "200",
                 "--no-video", "--no-progress", "--out", str(out)]) == 0
    (task,) = json.loads((out / "results.json").read_text())["tasks"]
    assert task["lengths"] == [50, 50] and task["time_limit"] == 50 and task["max_episode_steps"] == 50
    assert not task["capped"]


def test_a_users_module_env_with_make_kwargs_is_scored(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_cli_envs.py").write_text(
        "import gymnasium as gym\n"
        "gym.register('MyCliPendulum-v0', entry_point='gymnasium.envs.classic_control:PendulumEnv', max_episode_steps=20)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "mine"
    assert main(["--env", "my_cli_envs:MyCliPendulum-v0", "--env-kwargs", '{"g": 3.0}', "--policy", "random",
                 "--episodes", "2", "--no-video", "--no-progress", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    (task,) = data["tasks"]
    assert task["env_id"] == "my_cli_envs:MyCliPendulum-v0" and task["lengths"] == [20, 20]
    assert task["make_kwargs"] == {"g": 3.0} and data["env_kwargs"] == {"g": 3.0}
    assert main(["--env", "CartPole-v1", "--env-kwargs", "[1]", "--policy", "random", "--no-progress"]) == 2
    assert "not a JSON object" in capsys.readouterr().err


def test_a_folder_that_is_not_a_checkpoint(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["--env", "Hopper-v5", "--checkpoint", str(tmp_path / "empty"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "is not a gato-agent checkpoint" in err and "config.json" in err


def test_without_checkpoint_the_embedded_one_plays(tmp_path):
    out = tmp_path / "eval"
    assert main(["--env", "Reacher-v5", "--episodes", "2", "--no-video", "--no-progress", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["checkpoint"] == "embedded"
    (task,) = results["tasks"]
    assert task["error"] is None and len(task["returns"]) == 2


def test_no_embedded_checkpoint_says_how_to_pass_one(capsys, monkeypatch, tmp_path):
    from gato_agent import checkpoint

    monkeypatch.setattr(checkpoint, "embedded_checkpoint_path", lambda: tmp_path / "default")
    assert main(["--env", "Hopper-v5", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint is embedded" in err and "--checkpoint PATH" in err


def test_out_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "results.json").write_text("{}")
    assert main(["--env", "CartPole-v1", "--policy", "random", "--out", str(out), "--no-progress"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert (out / "results.json").read_text() == "{}"


def test_default_out_folders_are_fresh():
    args = ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1", "--no-video", "--no-progress"]
    assert main(args) == 0 and main(args) == 0
    runs = sorted(Path("runs").iterdir())
    assert len(runs) == 2 and all((r / "results.json").exists() for r in runs)


def _fails_to_build(**kwargs):
    raise RuntimeError("emulator crashed at start")


def test_a_failing_task_is_recorded_and_exit_is_non_zero(tmp_path, capsys):
    gym.register("GatoTest/Fails-v0", entry_point=_fails_to_build)
    try:
        code = main(["--env", "GatoTest/Fails-v0", "--env", "CartPole-v1", "--policy", "random",
                     "--episodes", "2", "--out", str(tmp_path / "o"), "--no-progress"])
    finally:
        del gym.registry["GatoTest/Fails-v0"]
    assert code == 1
    failed, ok = json.loads((tmp_path / "o" / "results.json").read_text())["tasks"]
    assert failed["status"] == "error" and failed["error"] == "RuntimeError: emulator crashed at start"
    assert ok["status"] == "ok" and len(ok["returns"]) == 2
    assert "1 task(s) failed: GatoTest/Fails-v0" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_writes_the_results_gathered_so_far(sig, tmp_path):
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rollouts.eval", "--env", "CartPole-v1", "--env", "ALE/Breakout-v5",
         "--policy", "random", "--episodes", "100000", "--no-video", "--no-progress", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
        # a suite started as a background job inherits SIGINT ignored, and Python then never raises
        # KeyboardInterrupt: give the child the disposition of a terminal's foreground process
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline:  # the folder appears once set up
            time.sleep(0.2)
        time.sleep(1.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # no-op once it exited; never leave a 100000-episode run behind
    assert proc.returncode == 130, err[-2000:]
    data = json.loads((out / "results.json").read_text())
    assert data["interrupted"] is True
    first, second = data["tasks"]
    assert first["status"] == "interrupted" and len(first["returns"]) > 0
    assert second["status"] == "not_run"
    assert "Interrupted" in (out / "summary.md").read_text()


def test_env_and_suite_combine_each_task_once():
    from envs import suite
    from rollouts.eval_args import EvalArgs, task_ids

    ids = task_ids(EvalArgs(env=["Hopper-v5", "CartPole-v1", "Hopper-v5"], suite="default"))
    default = list(suite("default"))
    assert ids[:4] == ["Hopper-v5", "CartPole-v1", "ALE/Breakout-v5", "ALE/Pong-v5"]
    assert ids == ["Hopper-v5", "CartPole-v1", *(task for task in default if task != "Hopper-v5")]


FILLER = '''
import numpy as np, shutil
from pathlib import Path

DISK = {disk!r}


def act(obs):
    """CartPole: push left. Pendulum (the second task): fill the disk first, then no torque."""
    if np.shape(obs) == (4,):
        return 0
    with open(Path(DISK) / "filler", "ab") as f:
        while shutil.disk_usage(DISK).free > 0:
            try:
                f.write(bytes(65536)); f.flush()
            except OSError:
                break
    return np.zeros(1, np.float32)
'''


def strict_json(path):
    return json.loads(Path(path).read_text(), parse_constant=lambda c: pytest.fail(f"{path} holds {c}"))


def test_a_disk_that_fills_mid_run_keeps_the_tasks_before_and_is_one_line(tmpfs, tmp_path, monkeypatch, capsys):
    disk = tmpfs.mount("2m")
    (tmp_path / "fillpol.py").write_text(FILLER.format(disk=str(disk)))
    monkeypatch.syspath_prepend(str(tmp_path))
    out = disk / "eval"
    code = main(["--env", "CartPole-v1", "--env", "Pendulum-v1", "--policy", "fillpol:act", "--episodes", "2",
                 "--max-episode-steps", "5", "--no-video", "--no-progress", "--out", str(out)])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert f"gato-eval: error: cannot write {out / 'results.json'} (No space left on device)" in err, err
    assert f"{out / 'results.json'} holds the results of CartPole-v1" in err
    assert "Pendulum-v1" in captured.out  # the results it could not save are printed
    saved = strict_json(out / "results.json")
    assert [(t["env_id"], t["status"]) for t in saved["tasks"]] == [("CartPole-v1", "ok"), ("Pendulum-v1", "not_run")]


def test_a_read_only_out_is_refused_before_any_episode(tmpfs, capsys):
    disk = tmpfs.mount("1m")
    (disk / "out").mkdir()
    tmpfs.read_only(disk)
    code = main(["--env", "CartPole-v1", "--policy", "random", "--episodes", "2", "--no-video", "--no-progress", "--out", str(disk / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == (f"gato-eval: error: --out {disk / 'out'}: cannot write in this folder (Read-only file system); "
                                 "pass a folder you can write to")


def test_a_failed_report_write_keeps_the_one_before(tmp_path, monkeypatch, capsys):
    import errno

    import rollouts.report as report

    writes, real = [], report.write_atomic

    def full_on_the_second_results(target, content, durable=False):
        writes.append(Path(target).name)
        if writes.count("results.json") == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(Path(target).with_name(".results.json.7.tmp")))
        return real(target, content, durable)

    monkeypatch.setattr(report, "write_atomic", full_on_the_second_results)
    out = tmp_path / "out"
    code = main(["--env", "CartPole-v1", "--env", "Pendulum-v1", "--policy", "random", "--episodes", "1", "--max-episode-steps", "3",
                 "--no-video", "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith(f"gato-eval: error: cannot write {out / 'results.json'} (No space left on device)"), err
    assert [t["status"] for t in strict_json(out / "results.json")["tasks"]] == ["ok", "not_run"]
