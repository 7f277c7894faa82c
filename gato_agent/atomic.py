"""Atomic file writes for the model side (and rollouts): a file is either complete or absent.

The content goes to a hidden temporary file in the target's folder, which is then renamed over
the target; a crash leaves at worst a ``.<name>.<pid>.tmp`` file, never a half-written target.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["fsync", "write_atomic"]

_UMASK = os.umask(0o022)  # reading the umask means setting it: put it straight back
os.umask(_UMASK)


def write_atomic(
    target: str | os.PathLike, content: bytes | memoryview | str | Callable[[str], Any], durable: bool = False
) -> Path:
    """Write ``content`` to ``target`` atomically and return ``target`` as a Path.

    Args:
        target: the file to create or replace.
        content: bytes or text to write, or a function that writes the file at the path it is given
            (e.g. ``lambda tmp: save_file(state, tmp)``).
        durable: also fsync the file and its folder, so the write survives a power loss.

    The file gets the permissions of one made by ``open()`` (safetensors and torch.save leave
    theirs readable by the owner alone).
    """
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if callable(content):
            content(str(tmp))
        else:
            with open(tmp, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)
        if durable:
            fsync(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
        if durable:
            fsync(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def fsync(path: str | os.PathLike) -> None:
    """Flush a file's or a folder's entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
