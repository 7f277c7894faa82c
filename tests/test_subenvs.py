"""--vector async: each sub-env in its own process gives the returns of sync, seed for seed."""

import json

import pytest

from rollouts.eval import main
from rollouts.evaluate import evaluate


def push_toward_the_lean(obs):
    """A deterministic CartPole policy that balances for a while (its episodes differ in length)."""
    return int(obs[2] > 0)


@pytest.mark.parametrize("policy", [push_toward_the_lean, "random"])
def test_async_returns_equal_sync(policy):
    runs = {v: evaluate(policy, "CartPole-v1", episodes=5, num_envs=2, seed=3, progress=False, vector=v)
            for v in ("sync", "async")}
    sync, asyn = (runs[v].tasks[0] for v in ("sync", "async"))
    assert asyn.status == "ok" and asyn.returns == sync.returns and asyn.seeds == sync.seeds == [3, 4, 5, 6, 7]
    assert runs["async"].vector == "async" and len(set(sync.returns)) > 1


def test_async_refuses_a_policy_that_looks_inside_its_envs():
    results = evaluate("expert", "InvertedPendulum-v5", episodes=1, progress=False, vector="async")
    assert results.tasks[0].status == "error" and "looks inside its envs" in results.tasks[0].error


def test_async_records_videos_through_the_vector_env(tmp_path):
    out = tmp_path / "run"
    assert main(["--env", "InvertedPendulum-v5", "--policy", "random", "--episodes", "2", "--num-envs", "2",
                 "--vector", "async", "--max-episode-steps", "10", "--no-progress", "--out", str(out)]) == 0
    task = json.loads((out / "results.json").read_text())["tasks"][0]
    assert task["video_error"] is None and len(task["videos"]) == 1 and (out / "videos").is_dir()
