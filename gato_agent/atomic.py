"""Atomic file writes for the model side (and rollouts): a file is either complete or absent.

The content goes to a hidden temporary file in the target's folder, which is then renamed over
the target; a crash leaves at worst a ``.<name>.<pid>.tmp`` file, never a half-written target.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["fsync", "write_atomic"]

_NEARLY_FULL = 1 << 20  # bytes: a write that fails with less free than this ran out of disk
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
    theirs readable by the owner alone). A writer that fails on a full disk with an error of its own
    (torch.save's RuntimeError, safetensors' SafetensorError) raises OSError(ENOSPC) naming the target.
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
    except OSError:
        raise
    except Exception as e:  # torch.save's RuntimeError, safetensors' SafetensorError: a full disk is told as one
        if _out_of_space(e, target.parent):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from e
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _out_of_space(error: Exception, folder: Path) -> bool:
    """Whether a writer's non-OSError failure was the disk filling up: its message says so (Rust's
    `os error 28`), or the folder, with the partial file still in it, has next to no free space."""
    if "No space left on device" in str(error) or f"os error {errno.ENOSPC}" in str(error):
        return True
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


def fsync(path: str | os.PathLike) -> None:
    """Flush a file's or a folder's entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
