"""rollouts.report: the demonstrator table the README's checkpoint section is made from."""

import json

import pytest

from rollouts.report import demonstrator_table, main


def _task(env_id, returns, normalized, status="ok", error=None):
    mean = sum(returns) / len(returns) if returns else None
    return {"env_id": env_id, "returns": returns, "mean": mean, "std": 0.0 if returns else None,
            "normalized": normalized, "status": status, "error": error}


def test_demonstrator_table_normalizes_by_the_demonstrator(tmp_path, capsys):
    run = {"tasks": [
        _task("InvertedPendulum-v5", [510.0, 520.0], 1.0),  # random 6.1, demonstrator 1000.0
        _task("Hopper-v5", [600.0], 0.3),  # random 18.4, demonstrator 3231.4
        _task("Reacher-v5", [], None, status="error", error="ValueError: boom"),
    ]}
    rows = demonstrator_table([run]).splitlines()
    ip, hopper, reacher = rows[2:]
    assert ip.split(" | ")[6] == f"{(515.0 - 6.1) / (1000.0 - 6.1):.3f}" and ip.endswith("| yes |")
    assert hopper.split(" | ")[6] == f"{(600.0 - 18.4) / (3231.4 - 18.4):.3f}" and hopper.endswith("| no |")
    assert "error: ValueError: boom" in reacher
    path = tmp_path / "results.json"
    path.write_text(json.dumps(run))
    assert main([str(path)]) == 0 and capsys.readouterr().out == demonstrator_table([run])
    assert main([]) == 2
