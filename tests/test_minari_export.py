"""rollouts.minari_export: dataset ids, and when data/ must be rebuilt from the journal."""

from rollouts.collect import CollectConfig, collect
from rollouts.journal import read_journal
from rollouts.minari_export import dataset_id_for, dataset_is_current


def test_dataset_ids_are_versioned(tmp_path):
    assert dataset_id_for(tmp_path / "pong-v3") == "pong-v3"
    assert dataset_id_for(tmp_path / "pong") == "pong-v0"


def test_data_is_current_only_for_the_entries_it_holds(tmp_path):
    out = tmp_path / "ip-v0"
    collect(CollectConfig(env="InvertedPendulum-v5", out=out, policy="random", episodes=3, progress=False))
    entries = read_journal(out / "episodes", seed=0)
    assert dataset_is_current(out / "data", entries)
    assert not dataset_is_current(out / "data", entries[:2])
    assert not dataset_is_current(tmp_path / "nowhere", entries)
