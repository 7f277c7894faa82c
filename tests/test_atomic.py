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
