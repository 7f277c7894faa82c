"""Optional dependencies: import one, or say which extra of gato-agent installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtra", "require"]


class MissingExtra(ImportError):
    """An optional package is missing; the message gives the pip line that installs it."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import `module`, or raise MissingExtra naming `purpose` and `pip install 'gato-agent[extra]'`."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingExtra(f"{purpose} needs the optional package {extra!r} ({e}); install it with: "
                           f"pip install 'gato-agent[{extra}]'") from e
