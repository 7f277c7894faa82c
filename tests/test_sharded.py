"""gato-eval's episodes split over torchrun ranks: the same seeds and returns as one process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rollouts.eval import main as gato_eval
from rollouts.sharded import Block, plan

REPO = str(Path(__file__).resolve().parents[1])


def test_plan_gives_every_rank_a_share_of_every_task():
    blocks = plan(["a", "b"], episodes=5, world=2)
    assert blocks == [Block("a", 0, 3, 0), Block("a", 3, 2, 1), Block("b", 0, 3, 1), Block("b", 3, 2, 0)]
    assert plan(["a"], episodes=2, world=4) == [Block("a", 0, 1, 0), Block("a", 1, 1, 1)]  # no empty blocks
    for world in (1, 3, 8):
        for task in ("a", "b"):
            mine = [b for b in plan(["a", "b"], 10, world) if b.task == task]
            assert [b.first for b in mine] == [sum(c.count for c in mine[:i]) for i in range(len(mine))] and sum(b.count for b in mine) == 10


def test_two_cpu_ranks_match_a_single_process(tmp_path):
    flags = ["--env", "InvertedPendulum-v5", "--env", "Reacher-v5", "--episodes", "3", "--max-episode-steps", "25",
             "--seed", "7", "--no-video", "--no-progress", "--threads", "1"]
    assert gato_eval([*flags, "--out", str(tmp_path / "single")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29535",
                          "-m", "rollouts.eval", *flags, "--out", str(tmp_path / "sharded")],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    single, sharded = (json.loads((tmp_path / name / "results.json").read_text()) for name in ("single", "sharded"))
    assert sharded["world_size"] == 2 and "world_size" not in single
    assert sharded["episode_ranks"] == {"InvertedPendulum-v5": [0, 0, 1], "Reacher-v5": [1, 1, 0]}
    for one, many in zip(single["tasks"], sharded["tasks"]):
        assert (many["env_id"], many["status"], many["seeds"], many["lengths"]) == (one["env_id"], "ok", one["seeds"], one["lengths"])
        assert many["returns"] == pytest.approx(one["returns"]) and many["normalized"] == pytest.approx(one["normalized"])
    assert sharded["aggregate"]["iqm"] == pytest.approx(single["aggregate"]["iqm"])
    assert (tmp_path / "sharded" / "summary.md").exists() and (tmp_path / "sharded" / "scores.png").exists()
