"""gato_agent.surgery, the build's weight surgery, on micro models: bf16 copies, an image encoder
carried from one checkpoint to another, a trunk added at zero; and one line, exit 2, for what does not fit."""

import dataclasses

import numpy as np
import pytest
import torch
from gymnasium import spaces
from safetensors.torch import load_file, save_file

from gato_agent import Gato, GatoAgent
from gato_agent.checkpoint import Task, load_checkpoint, save_checkpoint
from gato_agent.surgery import main

IMAGE = spaces.Box(0, 255, (60, 50, 3), np.uint8)
FRAMES = np.random.default_rng(0).integers(0, 256, (6, 60, 50, 3), dtype=np.uint8)


@pytest.fixture
def cnn_config(micro_config):
    return dataclasses.replace(micro_config, image_encoder="cnn", image_height=48, image_width=48)


def write(path, config, seed, trainer_state=None):
    """A checkpoint of a fresh `config` model (weights from `seed`) with one prompted task."""
    torch.manual_seed(seed)
    agent = GatoAgent(Gato(config), IMAGE, spaces.Discrete(4), prompt={"observations": FRAMES[:3], "actions": np.arange(3)})
    tasks = {"game": Task(IMAGE, spaces.Discrete(4), agent.prompt, {"dataset": "d"})}
    save_checkpoint(path, agent.model, tasks, trainer_state=trainer_state)
    return agent.model


def logits(folder):
    agent = GatoAgent.from_pretrained(folder)
    out = []
    for frame in FRAMES:
        agent.act(frame)
        out.append(agent.last_logits[0])
    return torch.cat(out)


def test_bf16_copies_all_but_the_trainer_state_and_keeps_what_exists(tmp_path, cnn_config, capsys):
    model = write(tmp_path / "src", cnn_config, 0, trainer_state={"step": 3})
    assert main(["bf16", str(tmp_path / "src"), str(tmp_path / "dst")]) == 0
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["config.json", "model.safetensors", "prompt-game.safetensors"]
    weights = load_file(tmp_path / "dst" / "model.safetensors")
    assert all(v.dtype == torch.bfloat16 for v in weights.values())
    loaded = load_checkpoint(tmp_path / "dst")
    assert loaded.tasks["game"].info == {"dataset": "d"} and loaded.tasks["game"].prompt is not None
    for name, value in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], value.to(torch.bfloat16).float()), name
    (tmp_path / "dst" / "marker").write_text("kept")
    assert main(["bf16", str(tmp_path / "src"), str(tmp_path / "dst")]) == 0
    assert (tmp_path / "dst" / "marker").read_text() == "kept" and "kept as it is" in capsys.readouterr().out


def test_bf16_unprompted_windows_drops_the_prompts_of_windowed_tasks_alone(tmp_path, micro_config):
    box, steps = spaces.Box(-1, 1, (3,), np.float32), {"observations": np.zeros((4, 3), np.float32), "actions": np.zeros(3, np.int64)}
    agent = GatoAgent(Gato(micro_config), box, spaces.Discrete(2), prompt=steps)
    tasks = {"windowed": Task(box, spaces.Discrete(2), agent.prompt, {}, 1), "whole": Task(box, spaces.Discrete(2), agent.prompt, {})}
    save_checkpoint(tmp_path / "src", agent.model, tasks)
    assert main(["bf16", "--unprompted-windows", str(tmp_path / "src"), str(tmp_path / "dst")]) == 0
    loaded = load_checkpoint(tmp_path / "dst")
    assert loaded.tasks["windowed"].prompt is None and loaded.tasks["windowed"].context_steps == 1
    assert loaded.tasks["whole"].prompt is not None
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["config.json", "model.safetensors", "prompt-whole.safetensors"]
    assert GatoAgent.from_pretrained(tmp_path / "dst", task="windowed").prompt is None
    assert load_checkpoint(tmp_path / "src").tasks["windowed"].prompt is not None  # the source is untouched


@pytest.mark.parametrize("old_names", [False, True])
def test_an_encoder_moves_between_checkpoints_with_their_tasks(tmp_path, cnn_config, old_names):
    donor = write(tmp_path / "donor", cnn_config, 0)
    base = write(tmp_path / "base", cnn_config, 1)
    file = tmp_path / "encoder.safetensors"
    assert main(["export-encoder", str(tmp_path / "donor"), str(file)]) == 0
    exported = load_file(file)
    assert exported and all(k.startswith("images.") and v.dtype == torch.bfloat16 for k, v in exported.items())
    if old_names:  # a file written before gato_agent.images, one trunk named patches.conv/hidden/proj
        save_file({k.replace("images.trunks.0.", "patches."): v for k, v in exported.items()}, file)
    assert main(["import-encoder", str(tmp_path / "base"), str(file), str(tmp_path / "dst")]) == 0
    result = load_checkpoint(tmp_path / "dst")
    for name, value in result.model.state_dict().items():
        source = donor if name.startswith("images.") else base
        expected = source.state_dict()[name]
        assert torch.equal(value, expected.to(torch.bfloat16).float() if source is donor else expected), name
    before = load_checkpoint(tmp_path / "base").tasks["game"]
    assert torch.equal(result.tasks["game"].prompt.ids, before.prompt.ids) and result.tasks["game"].info == before.info


def test_an_added_trunk_starts_at_zero_and_the_model_plays_as_before(tmp_path, cnn_config):
    write(tmp_path / "base", cnn_config, 0)
    donor = write(tmp_path / "donor", cnn_config, 1)
    file = tmp_path / "encoder.safetensors"
    main(["export-encoder", str(tmp_path / "donor"), str(file)])
    assert main(["add-trunk", str(tmp_path / "base"), str(file), str(tmp_path / "dst")]) == 0
    result = load_checkpoint(tmp_path / "dst").model
    assert result.config == dataclasses.replace(cnn_config, cnn_trunks=2)
    added = result.images.trunks[1]
    assert torch.equal(added.hidden.weight, donor.images.trunks[0].hidden.weight.to(torch.bfloat16).float())
    assert not added.proj.weight.any() and not added.proj.bias.any()
    assert torch.equal(logits(tmp_path / "dst"), logits(tmp_path / "base"))  # bit for bit


def test_what_does_not_fit_is_one_line_and_exit_2(tmp_path, cnn_config, micro_config, capsys):
    write(tmp_path / "cnn", cnn_config, 0)
    write(tmp_path / "wide", dataclasses.replace(cnn_config, image_width=64), 0)
    write(tmp_path / "patches", dataclasses.replace(micro_config, image_height=48, image_width=48), 0)
    for name in ("wide", "patches"):
        main(["export-encoder", str(tmp_path / name), str(tmp_path / f"{name}.safetensors")])
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    save_file({"tokens.weight": torch.zeros(2, 2)}, tmp_path / "model-part.safetensors")
    cases = [
        (["import-encoder", "cnn", "wide.safetensors", "out"], "does not fit the image encoder"),
        (["add-trunk", "cnn", "wide.safetensors", "out"], "do not fit a trunk of this encoder"),
        (["add-trunk", "cnn", "patches.safetensors", "out"], "no CNN trunk at all"),
        (["add-trunk", "patches", "wide.safetensors", "out"], "only a CNN image encoder has trunks"),
        (["import-encoder", "cnn", "junk.safetensors", "out"], "not a readable safetensors file"),
        (["import-encoder", "cnn", "model-part.safetensors", "out"], "also holds tokens.weight"),
        (["import-encoder", "cnn", "missing.safetensors", "out"], "no such file"),
        (["export-encoder", "nothing-here", "x.safetensors"], "nothing-here"),
        (["bf16", "nothing-here", "out"], "nothing-here"),
    ]
    for argv, message in cases:
        argv = [argv[0], *(str(tmp_path / a) for a in argv[1:])]
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("gato-surgery: error: ") and message in err and err.count("\n") == 1, (argv, err)
    assert not (tmp_path / "out").exists()


def test_it_runs_as_a_module(tmp_path, cnn_config):
    import subprocess
    import sys

    write(tmp_path / "src", cnn_config, 0)
    run = subprocess.run([sys.executable, "-m", "gato_agent.surgery", "bf16", str(tmp_path / "src"), str(tmp_path / "dst")],
                         capture_output=True, text=True)
    assert run.returncode == 0 and (tmp_path / "dst" / "model.safetensors").is_file(), run.stderr
    run = subprocess.run([sys.executable, "-m", "gato_agent.surgery", "add-trunk", str(tmp_path / "src")], capture_output=True, text=True)
    assert run.returncode == 2 and "FILE" in run.stderr
