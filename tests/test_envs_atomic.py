"""envs.atomic: the env side's atomic write."""

import os

import numpy as np
import pytest

from envs.atomic import write_atomic


def test_writes_whole_or_not_at_all(tmp_path):
    path = write_atomic(tmp_path / "p.npz", lambda f: np.savez(f, x=np.arange(3)))
    assert np.load(path)["x"].tolist() == [0, 1, 2]
    with pytest.raises(ValueError):
        write_atomic(path, lambda f: (f.write(b"junk"), (_ for _ in ()).throw(ValueError("bad"))))
    assert np.load(path)["x"].tolist() == [0, 1, 2] and os.listdir(tmp_path) == ["p.npz"]
