"""GatoConfig: presets and strict loading [C.1]."""

import pytest

from gato_agent import GatoConfig


def test_presets_have_the_papers_shapes():
    small, base, large = GatoConfig.small(), GatoConfig.baseline(), GatoConfig.large()
    assert (small.num_layers, small.embed_dim, small.num_heads, small.ff_dim) == (8, 768, 24, 3072)
    assert (base.num_layers, base.embed_dim, base.num_heads, base.ff_dim) == (12, 1536, 12, 6144)
    assert (large.num_layers, large.embed_dim, large.num_heads, large.ff_dim) == (24, 2048, 16, 8192)
    for c in (small, base, large):
        assert c.context_length == 1024 and c.text_vocab_size == 32000
        assert c.vocab_size == 33025 and c.separator_id == 33024 and c.continuous_offset == 32000
    assert GatoConfig.from_name("small") == small


def test_unknown_keys_are_errors_with_a_hint():
    with pytest.raises(ValueError, match="'num_layer' \\(did you mean 'num_layers'\\?\\)"):
        GatoConfig.from_dict({"num_layer": 3})
    with pytest.raises(ValueError, match="unknown GatoConfig preset 'huge'; known presets: tiny, small, baseline, large"):
        GatoConfig.from_name("huge")
    with pytest.raises(TypeError):
        GatoConfig(embed_dims=3)


def test_invalid_values_are_explained():
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        GatoConfig(embed_dim=100, num_heads=3)
    with pytest.raises(ValueError, match="share ids with text"):
        GatoConfig(text_vocab_size=512)
    with pytest.raises(ValueError, match="multiple of patch_size"):
        GatoConfig(image_height=70)
    with pytest.raises(ValueError, match="'resnet' is not one of 'patches', 'cnn'"):
        GatoConfig(image_encoder="resnet")
    with pytest.raises(ValueError, match="at least 36x36"):
        GatoConfig(image_encoder="cnn", image_height=32, image_width=32)
    with pytest.raises(ValueError, match="cnn_trunks=2 needs image_encoder='cnn'"):
        GatoConfig(cnn_trunks=2)
    with pytest.raises(ValueError, match="'mse' is not one of 'bins', 'regression'"):
        GatoConfig(continuous_actions="mse")
    with pytest.raises(ValueError, match="image_encoder=1 .int. must be a string"):
        GatoConfig.from_dict({"image_encoder": 1})


def test_round_trip_through_dict():
    c = GatoConfig.from_name("tiny", context_length=128)
    assert GatoConfig.from_dict(c.to_dict()) == c
