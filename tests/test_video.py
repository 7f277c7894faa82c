"""Episode mp4s: exact frame counts and sizes after decoding."""

import imageio.v3 as iio
import numpy as np
import pytest

from rollouts.video import EpisodeVideo, count_frames, video_name


def _frames(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_atari_sized_frames_keep_their_size_and_count(tmp_path):
    path = tmp_path / "sub" / video_name("ALE/Breakout-v5", 0)
    with EpisodeVideo(path, fps=30) as video:
        for frame in _frames(23, 210, 160):
            video.append(frame)
    assert path.name == "ALE_Breakout-v5-ep000.mp4"
    assert video.frames == 23
    assert count_frames(path) == 23
    assert iio.imread(path, index=0).shape == (210, 160, 3)


def test_odd_sizes_are_padded_to_even(tmp_path):
    path = tmp_path / "odd.mp4"
    video = EpisodeVideo(path, fps=125)
    for frame in _frames(5, 11, 13):
        video.append(frame)
    assert video.close() == path
    assert count_frames(path) == 5
    assert iio.imread(path, index=0).shape == (12, 14, 3)


def test_rejects_non_rgb_frames(tmp_path):
    with EpisodeVideo(tmp_path / "bad.mp4") as video:
        video.append(_frames(1, 8, 8)[0])
        with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
            video.append(np.zeros((8, 8), np.uint8))
