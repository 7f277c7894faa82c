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


def test_only_array_and_text_spaces_and_their_nests_are_storable():
    check_storable(NESTED, "observation")
    check_storable(spaces.Dict({"text": spaces.Text(5), "grid": spaces.MultiDiscrete([3, 3])}), "observation")
    with pytest.raises(CollectError, match=r"observation\['seq'\] space is Sequence"):
        check_storable(spaces.Dict({"seq": spaces.Sequence(spaces.Discrete(2))}), "observation")
    with pytest.raises(CollectError, match=r"action space is Text"):
        check_storable(spaces.Text(5), "action")


def test_text_observations_are_stored_as_utf8_strings(tmp_path):
    space = spaces.Dict({"mission": spaces.Text(40), "direction": spaces.Discrete(4)})
    missions = ["go to the red ball", "öffne die Tür", ""]
    with ThreadPoolExecutor(1) as pool:
        episode = EpisodeRecorder(0, {"mission": missions[0], "direction": 0}, space, pool)
        for i, text in enumerate(missions[1:], 1):
            episode.add_step(2, 0.0, False, i == 2, {"mission": text, "direction": i})
        episode.write(episode_file(tmp_path, 0), spaces.Discrete(3))
    with h5py.File(episode_file(tmp_path, 0)) as f:
        stored = f["episode/observations/mission"]
        assert h5py.check_string_dtype(stored.dtype).encoding == "utf-8"  # what Minari reads back as str
        assert [b.decode("utf-8") for b in stored[()]] == missions
        assert f["episode/observations/direction"][()].tolist() == [0, 1, 2]
    (entry,) = read_journal(tmp_path, seed=0)
    assert (entry.kept, entry.steps) == (True, 2)


@pytest.mark.parametrize("steps", [1, 6, 7, 9])
def test_image_episodes_of_any_length_are_written_and_read_back(steps, tmp_path):
    import minari

    from rollouts.collect import CollectConfig, collect

    out = tmp_path / "pong"
    collect(CollectConfig(env="ALE/Pong-v5", out=out, policy="random", episodes=1, max_episode_steps=steps, progress=False))
    (episode,) = minari.MinariDataset(str(out / "data")).iterate_episodes()
    assert episode.observations.shape == (steps + 1, 210, 160, 3) and len(episode.actions) == steps
    assert episode.observations[-1].any()  # real frames, not the padding of a chunk
