"""Episode videos: frames streamed to an mp4 through imageio-ffmpeg, one file per episode.

Frames are written as they come (an Atari episode can last 27,000 steps, far too many to hold in
memory). ``macro_block_size=1`` keeps the env's own frame size (210x160 for Atari) instead of
imageio's default resizing to multiples of 16; H.264 with yuv420p still needs even sides, so an
odd row or column is padded by repeating the edge.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import imageio.v2 as imageio
import numpy as np

__all__ = ["EpisodeVideo", "count_frames", "video_name"]


def video_name(task_id: str, episode: int) -> str:
    """A file name for episode ``episode`` of ``task_id`` (``ALE/Breakout-v5`` -> ``ALE_Breakout-v5``)."""
    return f"{task_id.replace('/', '_')}-ep{episode:03d}.mp4"


class EpisodeVideo:
    """An mp4 being written, one RGB frame at a time; use as a context manager or call close()."""

    def __init__(self, path: str | Path, fps: float = 30.0) -> None:
        """Open ``path`` for writing at ``fps`` frames per second (parent folders are created)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.frames = 0  # frames written so far
        self._writer = imageio.get_writer(
            self.path, fps=float(fps), codec="libx264", macro_block_size=1, pixelformat="yuv420p"
        )

    def append(self, frame: np.ndarray) -> None:
        """Write one (H, W, 3) uint8 RGB frame."""
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) RGB frame, got shape {frame.shape}")
        pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        self._writer.append_data(frame.astype(np.uint8, copy=False))
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and return its path."""
        self._writer.close()
        return self.path

    def __enter__(self) -> EpisodeVideo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def count_frames(path: str | Path) -> int:
    """Decode ``path`` and count its frames (exact, not the container's estimate)."""
    with imageio.get_reader(path) as reader:
        return sum(1 for _ in reader)
