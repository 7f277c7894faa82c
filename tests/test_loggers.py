"""Loggers: metrics.jsonl always; TensorBoard read back with tensorboard's own reader; W&B offline."""

import json
import struct
import sys
import time

import pytest

from gato_agent.extras import MissingExtra
from gato_agent.loggers import JsonlLogger, check_loggers, flatten, make_loggers

ROW = {"loss": 0.5, "accuracy": 0.75, "task_loss": {"Pong": 0.25, "Hopper": 1.0}, "note": "not a number"}


def tensorboard_scalars(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def wandb_history(run_file):
    """The history rows of a W&B run file (a LevelDB-style log of protobuf records after a 7-byte header)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data, pos, chunk, rows = run_file.read_bytes(), 7, b"", []
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7]) if left >= 7 else (0, 0, 0)
        if kind == 0:  # block padding
            pos += left
            continue
        chunk, pos = chunk + data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind in (1, 4):  # a whole record, or the last piece of one
            record = pb.Record()
            record.ParseFromString(chunk)
            chunk = b""
            if record.WhichOneof("record_type") == "history":
                rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item})
    return rows


def test_flatten_joins_keys_and_drops_non_numbers():
    assert flatten(ROW) == {"loss": 0.5, "accuracy": 0.75, "task_loss/Pong": 0.25, "task_loss/Hopper": 1.0}


def test_jsonl_is_always_first(tmp_path):
    loggers = make_loggers([], tmp_path, None, {}, "p")
    assert len(loggers) == 1 and isinstance(loggers[0], JsonlLogger)
    loggers[0].log(3, ROW)
    row = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert row["step"] == 3 and row["task_loss"] == ROW["task_loss"]


def test_tensorboard_events_read_back(tmp_path):
    pytest.importorskip("tensorboard")
    jsonl, board = make_loggers(["tensorboard"], tmp_path, None, {}, "p")
    for step in (1, 2, 3):
        board.log(step, {**ROW, "loss": 1.0 / step})
    board.close()
    scalars = tensorboard_scalars(tmp_path / "tensorboard")
    assert scalars["loss"] == [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3))]
    assert scalars["task_loss/Hopper"] == [(1, 1.0), (2, 1.0), (3, 1.0)] and "note" not in scalars
    # a resumed run drops what the interrupted one logged after its checkpoint
    (_, board) = make_loggers(["tensorboard"], tmp_path, 2, {}, "p")
    board.log(3, {"loss": 9.0})
    board.close()
    assert tensorboard_scalars(tmp_path / "tensorboard")["loss"] == [(1, 1.0), (2, 0.5), (3, 9.0)]


def test_wandb_offline_run_folder(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for key, value in {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONFIG_DIR": str(tmp_path / "cfg"),
                       "WANDB_CACHE_DIR": str(tmp_path / "cache"), "WANDB_DATA_DIR": str(tmp_path / "data")}.items():
        monkeypatch.setenv(key, value)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    _, wb = make_loggers(["wandb"], run_dir, None, {"lr": 0.1}, "gato-test")
    wb.log(1, ROW)
    wb.log(2, {"eval/Pong/return": -20.0})
    wb.close()
    run_id = (run_dir / "wandb-run-id").read_text().strip()
    [run_file] = (run_dir / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb")
    rows = wandb_history(run_file)
    for _ in range(40):  # wandb's service process may still be flushing the file after finish() on a busy machine
        if len(rows) >= 2:
            break
        time.sleep(0.25)
        rows = wandb_history(run_file)
    assert [(r["_step"], r.get("loss"), r.get("task_loss/Pong"), r.get("eval/Pong/return")) for r in rows] == [
        (1, 0.5, 0.25, None), (2, None, None, -20.0)]
    _, again = make_loggers(["wandb"], run_dir, 2, {"lr": 0.1}, "gato-test")  # a resumed run: the same W&B run
    assert again.run.id == run_id
    again.close()


@pytest.mark.parametrize("name,module,extra", [("tensorboard", "torch.utils.tensorboard", "tensorboard"), ("wandb", "wandb", "wandb")])
def test_a_missing_extra_gives_the_install_line(name, module, extra, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(MissingExtra, match=rf"--logger {name} needs .* pip install 'gato-agent\[{extra}\]'"):
        check_loggers([name])
    with pytest.raises(MissingExtra):
        make_loggers([name], tmp_path, None, {}, "p")
    with pytest.raises(ValueError, match="unknown --logger mlflow"):
        check_loggers(["mlflow"])
