"""How the three commands (gato-eval, gato-collect, gato-train) fail: one line, one exit status.

Every failure caused by the user's input or the machine is one message that names the input and
says what is accepted, with no traceback; a traceback is printed only for a bug in gato-agent, or
for any failure under `--debug`. Exit status:

- 0: done;
- 1: a task failed while running (a policy raised, a full disk): what finished before is kept;
- 2: bad input (a flag, a path, a checkpoint file), found before any work starts;
- 130: Ctrl-C, or SIGTERM (a scheduler's preemption, `kill`), which the commands treat alike:
  what was recorded so far is kept, and the message says how to go on.
"""

from __future__ import annotations

import errno
import math
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERRUPTED", "DISK_FULL",
    "UsageError", "RunFailed", "is_disk_full", "check_number", "check_seed", "make_out_dir", "run_command",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # the errnos of a full disk or quota


class UsageError(ValueError):
    """Bad input (a flag, a path, a file): exit status 2; the message says what is accepted."""


class RunFailed(RuntimeError):
    """A run that failed while working (a policy raised, the disk filled): exit status 1."""


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is an OSError of a full disk or an exhausted quota."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OSError) and error.errno in DISK_FULL:
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def check_number(
    flag: str,
    value: float | None,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> None:
    """UsageError unless `value` (None passes) is a finite number in [low, high] ((low, high] with
    low_open); the message names the flag, the value and the accepted range."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{flag} must be a number, got {value!r}")
    inside = math.isfinite(value)
    if inside and low is not None:
        inside = value > low if low_open else value >= low
    if inside and high is not None:
        inside = value <= high
    if not inside:
        lower = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        upper = "" if high is None else f"<= {high:g}"
        accepted = " and ".join(p for p in (lower, upper) if p) or "finite"
        raise UsageError(f"{flag} must be a finite number {accepted}, got {value}")


SEED_LIMIT = 2**32  # seeds are numpy RandomState seeds (rliable's bootstrap): [0, 2**32)


def check_seed(flag: str, value: int) -> None:
    """UsageError unless `value` is an integer seed in [0, 2**32), which every command accepts alike."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEED_LIMIT:
        raise UsageError(f"{flag} must be an integer from 0 to {SEED_LIMIT - 1} (2**32 - 1), got {value}")


def make_out_dir(path: Path, flag: str = "--out") -> Path:
    """Create the output folder `path` (and its parents), or raise UsageError saying why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        blocker = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker is not None else (e.strerror or str(e))
        raise UsageError(f"{flag} {path}: cannot create this folder ({why}); pass a folder you can write to") from None
    if not path.is_dir():
        raise UsageError(f"{flag} {path} is a file; pass a folder")
    return path


def run_command(
    prog: str,
    body: Callable[[], int],
    debug: bool = False,
    usage: tuple[type[BaseException], ...] = (UsageError,),
    failed: tuple[type[BaseException], ...] = (RunFailed,),
) -> int:
    """Run a command's `body` (-> its exit status) under the contract of this module's doc.

    Exceptions of `usage` types give exit 2, of `failed` types exit 1, KeyboardInterrupt 130 (its
    message, if it has one, says how to go on); each is printed as one `prog: ...` line on stderr,
    after its traceback under `debug`. Any other exception is a bug and propagates. While `body`
    runs (in the main thread), SIGTERM raises KeyboardInterrupt as Ctrl-C does, so that a killed
    command keeps what it recorded too.
    """
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return body()
    except KeyboardInterrupt as e:
        if debug:
            traceback.print_exc()
        print(f"{prog}: {str(e) or 'interrupted'}", file=sys.stderr)  # an exception object is always truthy
        return EXIT_INTERRUPTED
    except usage as e:
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except failed as e:
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM's handler while a command runs: stop as after Ctrl-C."""
    raise KeyboardInterrupt
