"""BabyAI end to end, through the three CLIs: gato-collect -> gato-train -> gato-eval, tiny settings."""

import dataclasses
import json
from pathlib import Path

import minari

from rollouts.eval import main as eval_main
from rollouts.collect import main as collect_main
from rollouts.train import main as train_main

LEVEL = "BabyAI-GoToLocal-v0"


def test_collect_train_eval(tmp_path, micro_config):
    data = tmp_path / "goto-local-v0"
    assert collect_main(["--env", LEVEL, "--policy", "expert", "--episodes", "4", "--out", str(data), "--no-progress"]) == 0
    episode = minari.MinariDataset(str(data / "data"))[0]
    assert episode.observations["mission"][0].startswith("go to")  # the mission text is in the dataset

    config = tmp_path / "micro.json"  # 16 text + 49 grid + 1 direction tokens a step
    config.write_text(json.dumps(dataclasses.replace(micro_config, max_observation_tokens=96, context_length=256).to_dict()))
    run = tmp_path / "run"
    assert train_main(["--dataset", str(data), "--config", str(config), "--out", str(run), "--steps", "4",
                       "--batch-size", "2", "--warmup-steps", "1", "--checkpoint-every", "4", "--no-progress",
                       "--threads", "1"]) == 0
    checkpoint = run / (run / "latest").read_text().strip()
    assert (checkpoint / "tokenizer.model").is_file()

    out = tmp_path / "eval"
    assert eval_main(["--env", LEVEL, "--checkpoint", str(run), "--episodes", "2", "--out", str(out),
                      "--no-progress"]) == 0
    task = json.loads((out / "results.json").read_text())["tasks"][0]
    assert task["status"] == "ok" and len(task["returns"]) == 2 and 0.0 <= task["success_rate"] <= 1.0
    assert task["normalized"] is not None
    assert task["videos"] and all(Path(v).stat().st_size > 0 for v in task["videos"])  # minigrid's RGB grid
