"""The rolling KV cache: explicit slots, distinct positions, bounded memory, independent rows."""

import pytest
import torch

from gato_agent.kv_cache import KVCache


def make(batch=2, window=8, chunk=3):
    return KVCache(num_layers=1, batch=batch, num_heads=1, head_dim=2, window=window, chunk=chunk)


def test_positions_and_slots_advance_per_row():
    cache = make()
    valid = torch.tensor([[True, True, True], [False, True, True]])
    positions, slots, mask = cache.plan(valid)
    assert positions.tolist() == [[0, 1, 2], [0, 0, 1]]
    assert slots.tolist() == [[0, 1, 2], [cache.ring, 0, 1]]  # padding goes to the trash slot
    assert cache.next_pos.tolist() == [3, 2]
    assert mask.shape == (2, 1, 3, cache.ring + 1)
    # causal inside the call; padding sees only the trash slot
    assert mask[0, 0, 1, :3].tolist() == [True, True, False]
    assert mask[1, 0, 0].nonzero().flatten().tolist() == [cache.ring]


def test_long_streams_keep_memory_bounded_and_positions_distinct():
    cache = make(batch=1, window=8, chunk=3)
    k_ptr, shape = cache.k.data_ptr(), tuple(cache.k.shape)
    for step in range(1000):
        positions, slots, mask = cache.plan(torch.ones(1, 1 + step % 4, dtype=torch.bool))
        held = cache.slot_pos[0][cache.slot_pos[0] >= 0]
        assert held.unique().numel() == held.numel()  # no two cached tokens share a position
        seen = mask[0, 0, -1].nonzero().flatten()
        # the newest query sees exactly the last `window` positions
        newest = int(positions[0, -1])
        assert sorted(cache.slot_pos[0, seen].tolist()) == list(range(max(0, newest - 7), newest + 1))
    assert cache.next_pos.item() > 2000
    assert cache.k.data_ptr() == k_ptr and tuple(cache.k.shape) == shape


def test_reset_touches_only_the_given_rows():
    cache = make(batch=3)
    cache.plan(torch.ones(3, 2, dtype=torch.bool))
    before = cache.slot_pos.clone()
    cache.reset([1])
    assert cache.next_pos.tolist() == [2, 0, 2]
    assert (cache.slot_pos[1] == -1).all()
    assert torch.equal(cache.slot_pos[[0, 2]], before[[0, 2]])


def test_a_rows_floor_hides_older_positions_until_a_reset():
    cache = make(batch=2)
    cache.plan(torch.ones(2, 3, dtype=torch.bool))
    cache.floor[0] = 2
    _, _, mask = cache.plan(torch.ones(2, 1, dtype=torch.bool))  # position 3 in each row
    assert cache.slot_pos[0, mask[0, 0, 0]].tolist() == [2, 3]
    assert cache.slot_pos[1, mask[1, 0, 0]].tolist() == [0, 1, 2, 3]
    cache.reset([0])
    assert cache.floor.tolist() == [0, 0]


def test_write_puts_keys_at_their_slots():
    cache = make(batch=1)
    _, slots, _ = cache.plan(torch.ones(1, 2, dtype=torch.bool))
    k = torch.arange(4.0).view(1, 1, 2, 2)
    keys, _ = cache.write(0, k, -k, slots)
    assert torch.equal(keys[0, 0, :2], k[0, 0])
    assert torch.equal(cache.v[0, 0, 0, :2], -k[0, 0])


def test_a_bounded_span_is_the_filled_part_of_the_full_mask():
    full, bounded = make(window=8, chunk=3), make(window=8, chunk=3)
    for step in range(12):
        valid = torch.ones(2, 1 + step % 3, dtype=torch.bool)
        span = bounded.reserve(valid.shape[1])
        _, _, mask_full = full.plan(valid)
        _, _, mask = bounded.plan(valid, span)
        assert span == min(bounded.ring, int(bounded.next_pos.max()))  # rows move in step here: the bound is tight
        assert torch.equal(mask, mask_full[..., :span])
        assert not mask_full[..., span:].any()  # nothing outside the span is attended


def test_filled_restarts_only_when_every_row_does():
    cache = make(batch=2)
    cache.reserve(3)
    cache.plan(torch.ones(2, 3, dtype=torch.bool))
    cache.reset([0])
    assert cache.filled == 3  # row 1 still holds slots [0, 3)
    cache.reset([0, 1])
    assert cache.filled == 0


def test_rewind_forgets_the_tokens_after_a_prefix_in_every_row():
    cache = make(batch=2)
    cache.reserve(5)
    cache.plan(torch.ones(2, 5, dtype=torch.bool))
    cache.floor[1] = 4
    cache.rewind(3)
    assert cache.next_pos.tolist() == [3, 3] and cache.floor.tolist() == [0, 0] and cache.filled == 3
    positions, _, mask = cache.plan(torch.ones(2, 1, dtype=torch.bool))  # position 3 again, seeing [0, 3]
    assert positions.tolist() == [[3], [3]]
    assert all(cache.slot_pos[r, mask[r, 0, 0]].tolist() == [0, 1, 2, 3] for r in range(2))
    with pytest.raises(ValueError, match=r"cannot rewind to position 12: the ring holds positions \[0, 11\) before it wraps"):
        cache.rewind(12)


def test_copy_row_copies_the_filled_slots_of_its_source():
    source, cache = make(batch=1), make(batch=2)
    source.reserve(2)
    _, slots, _ = source.plan(torch.ones(1, 2, dtype=torch.bool))
    source.write(0, torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), slots)
    cache.k.fill_(7.0)
    cache.copy_row(source, 0, [1])
    assert (cache.k[0, 1, 0, :2] == 1).all() and (cache.k[0, 0] == 7).all()
    assert cache.next_pos.tolist() == [0, 2] and cache.slot_pos[1, :3].tolist() == [0, 1, -1]
