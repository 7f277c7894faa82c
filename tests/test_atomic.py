"""gato_agent.atomic: a file is either written whole or left as it was."""

import os

import pytest

from gato_agent.atomic import write_atomic


def test_bytes_text_and_writer_functions(tmp_path):
    write_atomic(tmp_path / "a", b"bytes", durable=True)
    write_atomic(tmp_path / "b", "text")
    write_atomic(tmp_path / "c", lambda tmp: open(tmp, "w").write("by function"))
    assert [(tmp_path / n).read_text() for n in "abc"] == ["bytes", "text", "by function"]
    assert sorted(os.listdir(tmp_path)) == ["a", "b", "c"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f"
    target.write_text("old")

    def fails(tmp):
        open(tmp, "w").write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fails)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f"]


def fill(folder, leave: int = 0):
    """Fill the disk of `folder` until `leave` bytes or fewer are free."""
    import shutil

    with open(folder / "filler", "wb") as f:
        while shutil.disk_usage(folder).free > leave:
            try:
                f.write(b"\0" * max(4096, min(1 << 20, shutil.disk_usage(folder).free - leave)))
                f.flush()
            except OSError:
                break


@pytest.mark.parametrize("writer", ["torch.save", "safetensors"])
def test_a_real_full_disk_is_enospc_naming_the_target_whatever_the_writer_raises(writer, tmpfs):
    import errno

    import torch
    from safetensors.torch import save_file

    disk = tmpfs.mount("1m")
    fill(disk, leave=100_000)
    state = {"w": torch.zeros(200_000)}  # 800 kB: more than is free
    write = {"torch.save": lambda tmp: torch.save(state, tmp), "safetensors": lambda tmp: save_file(state, tmp)}[writer]
    with pytest.raises(OSError) as error:
        write_atomic(disk / "weights", write)
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(disk / "weights")
    assert sorted(os.listdir(disk)) == ["filler"]


def test_a_writers_own_error_is_a_full_disk_only_when_it_says_so(tmp_path):
    import errno

    def says(tmp):
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")

    def other(tmp):
        raise RuntimeError("a bug")

    with pytest.raises(OSError) as error:
        write_atomic(tmp_path / "a", says)
    assert error.value.errno == errno.ENOSPC
    with pytest.raises(RuntimeError, match="a bug"):
        write_atomic(tmp_path / "b", other)
    assert os.listdir(tmp_path) == []


def test_gato_train_on_a_real_full_disk_is_the_one_documented_line(tmpfs, make_dataset, capsys):
    import json

    from gato_agent import GatoConfig
    from gato_agent.checkpoint import load_checkpoint
    from rollouts.train import main as train_main

    micro = GatoConfig(num_layers=1, embed_dim=32, num_heads=4, ff_dim=64, context_length=64, text_vocab_size=1024,
                       image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64)
    dataset = make_dataset("CartPole-v1", lambda obs: int(obs[2] > 0), episodes=2, max_steps=12)
    config = dataset.parent / "micro.json"
    config.write_text(json.dumps(micro.to_dict()))
    out = tmpfs.mount("3m") / "run"  # room for about two checkpoints of this model
    code = train_main(["--dataset", str(dataset), "--out", str(out), "--config", str(config), "--batch-size", "2", "--steps", "12",
                       "--warmup-steps", "1", "--checkpoint-every", "2", "--keep-checkpoints", "3", "--threads", "1", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    intact = (out / "latest").read_text().strip()
    assert err.startswith("gato-train: error: disk full while writing step ") and f"is intact ({out / intact})" in err, err
    assert err.endswith("free some space and go on with --resume")
    assert load_checkpoint(out).path == out / intact
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
