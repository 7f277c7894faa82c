"""Golden tests of the tokenizer at its edges [2.1, App. B]."""

import math

import pytest
import torch

from gato_agent.tokenizer import (
    TokenBatch,
    bins_to_continuous,
    continuous_to_bins,
    continuous_to_tokens,
    discrete_to_tokens,
    mu_law_decode,
    mu_law_encode,
    tokens_to_continuous,
    tokens_to_discrete,
)

OFFSET, BINS = 32000, 1024


def test_mu_law_golden_values():
    x = torch.tensor([0.0, 1.0, -1.0, 256.0, -256.0, 1e9])
    y = mu_law_encode(x)
    assert y[0] == 0
    assert y[1] == pytest.approx(math.log(101) / math.log(25601))
    assert y[2] == -y[1]
    assert y[3] == pytest.approx(1.0) and y[4] == pytest.approx(-1.0)  # M maps to the edge
    assert y[5] > 1  # beyond M, companding leaves [-1, 1]: binning must clip
    assert torch.allclose(mu_law_decode(y[:5]), x[:5].double(), rtol=1e-9, atol=1e-9)


def test_binning_edges_and_clipping():
    x = torch.tensor([-1e9, -1.0, -1.0 + 2 / BINS, 0.0, 1.0 - 1e-12, 1.0, 1e9])
    b = continuous_to_bins(x, BINS)
    assert b.tolist() == [0, 0, 1, BINS // 2, BINS - 1, BINS - 1, BINS - 1]


def test_every_bin_round_trips_within_half_a_bin():
    centres = bins_to_continuous(torch.arange(BINS), BINS)
    assert continuous_to_bins(centres, BINS).tolist() == list(range(BINS))
    # values anywhere inside a bin decode to within half a bin
    x = torch.linspace(-1, 1, 100_003, dtype=torch.float64)
    back = bins_to_continuous(continuous_to_bins(x, BINS), BINS)
    assert (back - x).abs().max() <= 1 / BINS + 1e-12


def test_continuous_tokens_stay_in_their_range():
    x = torch.tensor([-1e30, -5.0, 0.0, 3.0, 1e30, 255.9])
    ids = continuous_to_tokens(x, OFFSET, BINS)
    assert ids.min() >= OFFSET and ids.max() < OFFSET + BINS
    back = tokens_to_continuous(ids, OFFSET, BINS)
    assert back[2] == pytest.approx(0.0, abs=1e-3)
    assert back[3] == pytest.approx(3.0, rel=0.01)  # mu-law keeps small values precise
    assert back[0] == pytest.approx(-256.0, rel=0.01) and back[4] == pytest.approx(256.0, rel=0.01)  # clipped at M


def test_unscaled_actions_bin_without_mu_law():
    x = torch.tensor([-1.0, 0.5, 1.0])
    ids = continuous_to_tokens(x, OFFSET, BINS, mu_law=False)
    assert ids.tolist() == [OFFSET, OFFSET + 768, OFFSET + BINS - 1]
    assert torch.allclose(tokens_to_continuous(ids, OFFSET, BINS, mu_law=False), x.double(), atol=1 / BINS)


def test_continuous_decode_rejects_foreign_ids():
    with pytest.raises(ValueError, match=r"\[32000, 33024\)"):
        tokens_to_continuous(torch.tensor([5]), OFFSET, BINS)


def test_discrete_values_are_unshifted_and_checked():
    assert discrete_to_tokens(torch.tensor([0, 7, 1023])).tolist() == [0, 7, 1023]
    assert tokens_to_discrete(torch.tensor([3])).tolist() == [3]
    for bad in (-1, 1024):
        with pytest.raises(ValueError, match=r"\[0, 1024\)"):
            discrete_to_tokens(torch.tensor([bad]))


def test_token_batch_cat_row_and_slice_keep_patches_aligned():
    def batch(n_tok, patch_at):
        mask = torch.zeros(1, n_tok, dtype=torch.bool)
        mask[0, patch_at] = True
        n = int(mask.sum())
        return TokenBatch(torch.arange(n_tok)[None], torch.zeros(1, n_tok, dtype=torch.long), mask,
                          torch.arange(n, dtype=torch.float)[:, None, None, None].expand(n, 3, 2, 2), torch.arange(n))

    a, b = batch(4, [0, 2]), batch(3, [1])
    ab = TokenBatch.cat([a, b])
    assert ab.shape == (1, 7) and ab.patches.shape[0] == 3
    tail = ab.slice(2, 7)
    assert tail.patch_mask.sum() == tail.patches.shape[0] == 2
    assert tail.patches[:, 0, 0, 0].tolist() == [1.0, 0.0]
