"""rollouts.compare: rliable's probability of improvement between two results.json, per family."""

import json

import numpy as np
import pytest
from rliable import metrics

from rollouts.compare import compare_runs, main, probability_of_improvement


def _run(tasks):
    return {"tasks": [{"env_id": name, "family": family, "status": "ok", "returns": list(map(float, returns))}
                      for name, family, returns in tasks]}


def test_point_estimate_equals_rliable():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (10, 3)), rng.normal(0.5, 1, (12, 3))
    point, (lo, hi) = probability_of_improvement(list(a.T), list(b.T), resamples=300)
    assert point == pytest.approx(metrics.probability_of_improvement(b, a))
    assert lo < point < hi


def test_per_family_and_all():
    a = _run([("ALE/Pong-v5", "atari", [-21, -20, -21]), ("Hopper-v5", "mujoco", [10, 20, 30]),
              ("Only-in-A", "gymnasium", [1, 2, 3])])
    b = _run([("ALE/Pong-v5", "atari", [0, 1, 2]), ("Hopper-v5", "mujoco", [10, 20, 30])])
    rows = {r.group: r for r in compare_runs(a, b, resamples=200)}
    assert set(rows) == {"atari", "mujoco", "all"}
    assert rows["atari"].probability == 1.0 and rows["atari"].ci95 == (1.0, 1.0)  # B beats A in every pair
    assert rows["mujoco"].probability == pytest.approx(0.5)  # the same episodes: no difference
    assert rows["all"].probability == pytest.approx(0.75) and rows["all"].tasks == ["ALE/Pong-v5", "Hopper-v5"]


def test_cli_prints_a_table_and_refuses_disjoint_runs(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_text(json.dumps(_run([("Hopper-v5", "mujoco", [1, 2])])))
    (tmp_path / "b.json").write_text(json.dumps(_run([("Hopper-v5", "mujoco", [3, 4])])))
    (tmp_path / "c.json").write_text(json.dumps(_run([("Ant-v5", "mujoco", [3, 4])])))
    assert main([str(tmp_path / "a"), str(tmp_path / "b.json"), "--resamples", "50"]) == 0
    assert "| mujoco | 1 | 1.000 |" in capsys.readouterr().out
    assert main([str(tmp_path / "a"), str(tmp_path / "c.json")]) == 2
    assert "share no finished task" in capsys.readouterr().err
    assert main([str(tmp_path / "a"), str(tmp_path / "missing.json")]) == 2
