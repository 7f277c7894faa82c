"""One process at a time per output folder, for gato-train, gato-collect and gato-eval: a second
process is one line and exit 2, and a lock whose process died (kill -9) is never left stuck.
Every case uses two real processes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gato_agent import GatoConfig
from rollouts.collect import main as collect_main
from rollouts.eval import main as eval_main
from rollouts.train import main as train_main

REPO = str(Path(__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
MICRO = GatoConfig(num_layers=1, embed_dim=32, num_heads=4, ff_dim=64, context_length=64, text_vocab_size=1024,
                   image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64)


@pytest.fixture
def holder(tmp_path):
    """A second process that holds the lock of tmp_path/out, until killed with SIGKILL."""
    out = tmp_path / "out"
    code = ("import sys, time; from gato_agent.runlock import FolderLock\n"
            "with FolderLock(sys.argv[1], 'gato-eval'):\n    print('locked', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], env=ENV, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    yield out, proc
    proc.kill()
    proc.wait()


def train_args(dataset, out, config_dir, *more):
    config = config_dir / "micro.json"
    config.write_text(json.dumps(MICRO.to_dict()))
    return ["--dataset", str(dataset), "--out", str(out), "--config", str(config), "--batch-size", "2", "--steps", "4",
            "--warmup-steps", "1", "--checkpoint-every", "2", "--threads", "1", "--no-progress", *more]


@pytest.mark.parametrize("command", ["train", "collect", "eval"])
def test_a_second_process_on_a_locked_folder_is_refused_and_a_killed_holder_leaves_no_stuck_lock(command, holder, make_dataset, tmp_path, capsys):
    out, proc = holder
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10)
    main, args = {
        "train": (train_main, train_args(dataset, out, tmp_path)),
        "collect": (collect_main, ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1", "--no-progress", "--out", str(out)]),
        "eval": (eval_main, ["--env", "CartPole-v1", "--policy", "random", "--episodes", "1", "--no-video", "--no-progress", "--out", str(out)]),
    }[command]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and f"--out {out} is in use by another process (pid {proc.pid})" in err, err
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # the second process wrote nothing
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert main(args) == 0, capsys.readouterr().err  # the OS released the dead holder's lock


def test_two_gato_train_processes_on_one_out(make_dataset, tmp_path):
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10)
    out = tmp_path / "twin"
    command = [sys.executable, "-m", "rollouts.train", *train_args(dataset, out, tmp_path, "--steps", "100000", "--log-every", "1")]
    first = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / "metrics.jsonl").exists():  # the first one is training
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        second = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert second.stderr.strip() == (f"gato-train: error: --out {out} is in use by another process (pid {first.pid}): "
                                         "one gato-train at a time per folder; wait for it to end, or pick another --out")
    finally:
        first.kill()
        first.wait()
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines() if line.endswith("}")]
    assert steps == list(range(1, len(steps) + 1))  # every step once: the second run logged none


@pytest.mark.parametrize("command", ["collect", "train --resume"])
def test_going_on_in_a_read_only_folder_is_one_line_before_any_work(command, tmpfs, make_dataset, tmp_path, capsys):
    disk = tmpfs.mount("4m")
    out = disk / "out"
    if command == "collect":
        args = ["--env", "CartPole-v1", "--policy", "random", "--episodes", "2", "--max-episode-steps", "5", "--no-progress", "--out", str(out)]
        main, again = collect_main, args
    else:
        dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=10)
        args = train_args(dataset, out, tmp_path, "--stop-after", "2")
        main, again = train_main, [*args, "--resume"]
    assert main(args) == 0
    capsys.readouterr()
    tmpfs.read_only(disk)
    assert main(again) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and f"--out {out}: cannot write in this folder (Read-only file system)" in err, err
