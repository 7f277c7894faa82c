"""rollouts.journal: episode files for any nest of array spaces, and what reading them checks."""

from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest
from gymnasium import spaces

from rollouts.journal import CollectError, EpisodeRecorder, check_storable, episode_file, read_journal

NESTED = spaces.Dict({
    "camera": spaces.Box(0, 255, (16, 16, 3), np.uint8),
    "state": spaces.Tuple((spaces.Box(-1, 1, (2,), np.float32), spaces.Discrete(4))),
})


def test_dict_and_tuple_observations_are_stored_in_minaris_layout(tmp_path):
    NESTED.seed(0)
    frames = [NESTED.sample() for _ in range(11)]
    with ThreadPoolExecutor(1) as pool:
        episode = EpisodeRecorder(5, frames[0], NESTED, pool)
        for obs in frames[1:]:
            episode.add_step(1, 0.5, False, False, obs)
        episode.write(episode_file(tmp_path, 0), spaces.Discrete(3))
    with h5py.File(episode_file(tmp_path, 0)) as f:
        obs = f["episode/observations"]
        np.testing.assert_array_equal(obs["camera"][()], np.stack([o["camera"] for o in frames]))
        np.testing.assert_array_equal(obs["state/_index_0"][()], np.stack([o["state"][0] for o in frames]))
        assert obs["state/_index_1"][()].tolist() == [o["state"][1] for o in frames]
    (entry,) = read_journal(tmp_path, seed=5)
    assert (entry.kept, entry.steps, entry.ret) == (True, 10, 5.0)


def test_only_array_spaces_and_their_nests_are_storable():
    check_storable(NESTED, "observation")
    with pytest.raises(CollectError, match=r"observation\['text'\] space is Text"):
        check_storable(spaces.Dict({"text": spaces.Text(5)}), "observation")
