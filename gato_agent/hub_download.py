"""The Hugging Face Hub as a checkpoint source (extra: `pip install 'gato-agent[hub]'`); uploading
is gato_agent.hub's.

A checkpoint spec names the Hub when it reads `hf://org/name`, or when it reads `org/name` and no
local path of that spelling exists: a local path always wins. Downloads go through
`huggingface_hub.snapshot_download`, so they land in (and are read from) the Hub cache (`HF_HOME`,
`HF_HUB_CACHE`) and `HF_HUB_OFFLINE=1` loads what the cache holds without a network.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from gato_agent.extras import require

__all__ = ["HUB_PREFIX", "hub_repo_id", "download"]

HUB_PREFIX = "hf://"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


def hub_repo_id(spec: str | os.PathLike) -> str | None:
    """The Hub repo id a checkpoint spec names, or None when it names a local path.

    `hf://org/name` (also `hf:/org/name`, what a Path makes of it) is always the Hub; `org/name` is
    the Hub only when nothing exists at that path here.
    """
    text = os.fspath(spec)
    if text.startswith("hf:"):
        return text[3:].lstrip("/")
    if _REPO_ID.fullmatch(text) and not Path(text).exists():
        return text
    return None


def download(repo_id: str, revision: str | None = None) -> Path:
    """The local folder of a Hub checkpoint: `snapshot_download` into (or from) the Hub cache.

    Raises MissingExtra without huggingface_hub, FileNotFoundError when the repo cannot be had
    (unknown, or not cached while offline).
    """
    hub = require("huggingface_hub", "hub", f"the Hub checkpoint {repo_id!r}")
    try:
        return Path(hub.snapshot_download(repo_id, revision=revision, library_name="gato-agent"))
    except (hub.errors.HfHubHTTPError, hub.errors.LocalEntryNotFoundError, ValueError, OSError) as e:
        raise FileNotFoundError(
            f"no local checkpoint at {repo_id!r}, and the Hugging Face Hub repo {repo_id!r} could not be had: "
            f"{type(e).__name__}: {e}"
        ) from None
