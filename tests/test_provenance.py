"""rollouts.provenance: provenance.json names the build, the commit, each dataset's command and size,
and the evaluations; a checkpoint folder that carries one still loads."""

import json

from gato_agent.checkpoint import load_checkpoint, save_checkpoint_whole
from gato_agent.model import Gato
from rollouts.provenance import main

BUILD = """set -euo pipefail
collect() { "$BIN/gato-collect" --no-progress "$@"; }
DATA=data
collect --seed 0 --env CartPole-v1 --policy expert --episodes 2 --out $DATA/cartpole
collect --seed 1 --env CartPole-v1 --episodes 3 \\
    --out data/missing
"""


def test_provenance_records_commands_sizes_and_results(make_dataset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=9)
    (tmp_path / "data").mkdir()
    dataset.rename(tmp_path / "data/cartpole")
    (tmp_path / "build.sh").write_text(BUILD)
    results = {"args": {"temperature": 0.0}, "tasks": [
        {"env_id": "CartPole-v1", "seeds": [0, 1, 2], "mean": 9.0, "std": 0.5, "success_rate": None}]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert main(["--build", "build.sh", "--out", "provenance.json", "--results", "results.json", "--commit", "abc",
                 "--checkpoint", "runs/x/step-0000001"]) == 0
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert (record["build"], record["commit"], record["checkpoint"]) == ("build.sh", "abc", "runs/x/step-0000001")
    first, missing = record["datasets"]
    assert first["command"] == "gato-collect --no-progress --seed 0 --env CartPole-v1 --policy expert --episodes 2 --out data/cartpole"
    assert (first["episodes"], first["steps"]) == (2, 18)  # two episodes cut at 9 steps
    assert (missing["path"], missing["episodes"], missing["steps"]) == ("data/missing", None, None)
    assert record["results"] == [{"file": "results.json", "temperature": 0.0, "source": "results.json", "tasks": [
        {"task": "CartPole-v1", "episodes": 3, "seeds": "0-2", "mean": 9.0, "std": 0.5, "success_rate": None}]}]


def test_a_missing_build_or_results_file_exits_2(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["--build", str(tmp_path / "nope.sh"), "--out", str(tmp_path / "p.json")])
    assert e.value.code == 2 and "nope.sh does not exist" in capsys.readouterr().err


def test_a_checkpoint_with_provenance_json_loads(micro_config, tmp_path):
    folder = save_checkpoint_whole(tmp_path / "ckpt", Gato(micro_config), {})
    (folder / "provenance.json").write_text(json.dumps({"build": "recipes/build.sh"}))
    assert load_checkpoint(folder).model.config == micro_config


def test_the_shipped_checkpoint_names_its_build_and_every_dataset_of_it():
    from pathlib import Path

    from envs import suite
    from gato_agent.checkpoint import embedded_checkpoint_path
    from rollouts.provenance import dataset_commands, read_build

    root = Path(__file__).resolve().parents[1]
    record = json.loads((embedded_checkpoint_path() / "provenance.json").read_text())
    assert (root / record["build"]).is_file()
    assert len(record["commit"]) == 40
    commands = dataset_commands(read_build(root / record["build"]))
    assert {d["path"]: d["command"] for d in record["datasets"]} == commands
    tasks = {t["task"] for r in record["results"] for t in r["tasks"]}
    assert tasks == set(suite("default"))  # the README table's rows: every task of the default suite
