"""One process at a time per output folder: gato-train's run, gato-collect's dataset, gato-eval's results.

A command holds an exclusive `fcntl.flock` on the file `.lock` in its output folder while it works.
A second process on the same folder is refused at once with one line (exit status 2) naming the
holder's process id. The operating system releases the lock when its process ends in any way
(a crash, `kill -9`), so a lock is never left stuck; the file itself stays, empty of meaning.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from gato_agent.cli import UsageError, make_out_dir

__all__ = ["LOCK_FILE", "FolderInUse", "FolderLock"]

LOCK_FILE = ".lock"


class FolderInUse(UsageError):
    """Another process holds the folder's lock (exit status 2)."""


class FolderLock:
    """`with FolderLock(folder, "gato-train"):` creates `folder` (as make_out_dir does) and holds
    its lock inside the block; FolderInUse when another process holds it."""

    def __init__(self, folder: Path, prog: str, flag: str = "--out"):
        self.folder, self.prog, self.flag = Path(folder), prog, flag
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        make_out_dir(self.folder, self.flag)
        path = self.folder / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:  # read-only, no permission: found before any work, not after it
            raise UsageError(f"{self.flag} {self.folder}: cannot write in this folder ({e.strerror or e}); "
                             "pass a folder you can write to") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(f"{self.flag} {self.folder} is in use by another process (pid {holder}): one "
                              f"{self.prog} at a time per folder; wait for it to end, or pick another {self.flag}") from None
        try:  # the holder's pid, for the message of a second process; a full disk goes without it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
