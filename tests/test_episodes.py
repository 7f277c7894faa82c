"""Episode stores: episodes read on demand through a bounded least-recently-used cache."""

import pickle

import numpy as np

from gato_agent.episodes import Episode, EpisodeStore


class Counting:
    """A lazy reader of n episodes of 10 steps whose every read is counted."""

    lazy = True

    def __init__(self, n, first_return=0.0):
        self.lengths = np.full(n, 10)
        self.returns = first_return + np.arange(n, dtype=np.float64)
        self.reads = []

    def read(self, i):
        self.reads.append(i)
        return Episode(np.full((10, 3), i, np.int32), np.zeros((10, 0, 1, 4, 4), np.uint8), float(self.returns[i]))


def test_episodes_are_read_once_while_they_fit_in_the_cache():
    reader = Counting(5)
    store = EpisodeStore([reader], cache_bytes=10**6)
    assert len(store) == 5 and store.lengths.tolist() == [10] * 5 and reader.reads == []  # nothing read up front
    for _ in range(3):
        assert [int(store[i].ids[0, 0]) for i in (4, 0, 4, 2)] == [4, 0, 4, 2]
    assert reader.reads == [4, 0, 2]


def test_the_least_recently_used_episode_leaves_a_full_cache():
    reader = Counting(4)
    one = Counting(1).read(0).nbytes
    store = EpisodeStore([reader], cache_bytes=2 * one)  # two episodes fit
    for i in (0, 1, 0, 2, 0, 1):
        store[i]
    assert reader.reads == [0, 1, 2, 1]  # 2 pushed out 1 (0 was used later), then 1 pushed out 2
    assert store._cached <= 2 * one


def test_stores_add_up_and_workers_start_with_an_empty_cache():
    a, b = Counting(2), Counting(3, first_return=10.0)
    store = EpisodeStore([a]) + EpisodeStore([b])
    assert len(store) == 5 and store.returns.tolist() == [0, 1, 10, 11, 12]
    assert int(store[3].ids[0, 0]) == 1 and b.reads == [1] and int(store[-5].ids[0, 0]) == 0
    copy = pickle.loads(pickle.dumps(store))
    assert len(copy._cache) == 0 and len(store._cache) == 2
    memory = EpisodeStore.of([Counting(1).read(0)])
    assert memory[0].ret == 0.0 and len(memory._cache) == 0  # episodes in memory are not cached again
