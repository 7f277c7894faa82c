"""The image encoder's home: pixels in, what each encoder reads, its weights' names old and new,
and the trunk surgery (a trunk that starts at zero, a frozen trunk)."""

import dataclasses

import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent import Gato, GatoAgent, GatoConfig
from gato_agent.images import (
    FrameCNN,
    PatchEncoder,
    encoder_input,
    from_pixels,
    images_to_patches,
    input_shape,
    patches_to_images,
    resize_images,
    to_pixels,
    tokens_per_image,
    trunk_weights,
    upgrade_pattern,
    upgrade_state_names,
)
from gato_agent.optim import build_optimizer


@pytest.fixture
def cnn_config(micro_config):
    return dataclasses.replace(micro_config, image_encoder="cnn", image_height=48, image_width=40)


def test_the_image_encoder_sets_what_a_token_reads():
    """Patches: 20 tokens of (C, 16, 16) per 80x64 frame [2.1]; the CNN: one token of the whole stack."""
    patches = GatoConfig(image_channels=1, frame_stack=4)
    assert tokens_per_image(patches) == 20 and input_shape(patches) == (4, 16, 16)
    assert isinstance(Gato(dataclasses.replace(GatoConfig.tiny(), num_layers=1)).images, PatchEncoder)
    cnn = GatoConfig(image_channels=1, frame_stack=4, image_encoder="cnn")
    assert tokens_per_image(cnn) == 1 and input_shape(cnn) == (4, 80, 64)


def test_pixels_scale_per_encoder_and_back(micro_config, cnn_config):
    pixels = torch.tensor([0, 127, 255], dtype=torch.uint8)
    assert from_pixels(pixels, micro_config).tolist() == pytest.approx([-0.25, -0.25 / 255, 0.25])  # [-1, 1] / sqrt(16) [2.1]
    assert from_pixels(pixels, cnn_config).tolist() == pytest.approx([0.0, 127 / 255, 1.0])
    for config in (micro_config, cnn_config):
        assert torch.equal(to_pixels(from_pixels(pixels, config), config), pixels)
    stacks = torch.randint(0, 256, (2, 1, 3, 48, 48), dtype=torch.uint8)  # (B, n_img, C, H, W)
    assert encoder_input(stacks, micro_config).shape == (2 * 9, 3, 16, 16)
    assert torch.equal(encoder_input(stacks, micro_config)[0], from_pixels(stacks[0, 0, :, :16, :16], micro_config))


def test_patches_raster_order_scaling_and_inverse():
    img = np.zeros((1, 32, 48, 3), dtype=np.uint8)
    img[0, :16, 16:32] = 255  # the second patch of the first row
    p = images_to_patches(torch.from_numpy(img), 32, 48, 16)
    assert p.shape == (1, 6, 3, 16, 16)
    assert p[0, 1].max() == pytest.approx(1 / 4) and p[0, 0].min() == pytest.approx(-1 / 4)  # [-1, 1] / sqrt(16)
    assert torch.allclose(p[0, [0, 2, 3, 4, 5]], torch.full_like(p[0, [0, 2, 3, 4, 5]], -0.25))
    back = patches_to_images(p, 32, 48)
    assert torch.allclose(back, torch.from_numpy(img).float(), atol=1e-3)


@pytest.mark.parametrize("shape", [(210, 160, 3), (84, 84), (84, 84, 1), (7, 5, 3)])
def test_any_image_size_resizes_to_the_configured_grid(shape):
    img = torch.randint(0, 256, (2, *shape), dtype=torch.uint8)
    p = images_to_patches(img, 80, 64, 16)
    assert p.shape == (2, 20, 3, 16, 16)
    assert p.abs().max() <= 0.25 + 1e-6
    if len(shape) == 2 or shape[-1] == 1:  # grayscale repeats into RGB
        assert torch.equal(p[:, :, 0], p[:, :, 1]) and torch.equal(p[:, :, 1], p[:, :, 2])


def test_images_with_unsupported_channels_are_rejected():
    with pytest.raises(ValueError, match="1 or 3 channels"):
        images_to_patches(torch.zeros(1, 8, 8, 4, dtype=torch.uint8), 16, 16, 16)


def test_grayscale_is_the_luminance_of_rgb():
    rgb = torch.zeros(1, 2, 2, 3, dtype=torch.uint8)
    rgb[0, 0, 0] = torch.tensor([255, 0, 0])
    rgb[0, 0, 1] = torch.tensor([0, 255, 0])
    rgb[0, 1, 0] = torch.tensor([0, 0, 255])
    rgb[0, 1, 1] = torch.tensor([200, 72, 72])  # Breakout's ball
    gray = resize_images(rgb, 2, 2, channels=1)
    assert gray.shape == (1, 1, 2, 2) and gray.dtype == torch.uint8
    assert gray[0, 0].tolist() == [[76, 150], [29, 110]]
    # a 2x4 ball on black survives a 210x160 -> 80x80 resize as a visible blob
    frame = torch.zeros(1, 210, 160, 3, dtype=torch.uint8)
    frame[0, 100:104, 80:82] = torch.tensor([200, 72, 72])
    assert resize_images(frame, 80, 80, channels=1).max() > 30


def test_cnn_trunks_sum_their_projections_and_every_old_name_loads(cnn_config):
    """Two trunks embed an image stack as the sum of each trunk's projection. Weights named before
    this module (patches.*) and before trunks existed (patches.conv/hidden/proj) map to images.*."""
    one = Gato(cnn_config).eval()
    two = Gato(dataclasses.replace(cnn_config, cnn_trunks=2)).eval()
    images, idx = torch.rand(3, 3, 48, 40), torch.zeros(3, dtype=torch.long)
    first, second = two.images.trunks
    assert torch.allclose(two.images(images, idx), first(images) + second(images))
    state = one.state_dict()
    legacy = {k.replace("images.trunks.0.", "patches."): v for k, v in state.items()}
    assert "patches.hidden.weight" in legacy and "patches.proj.bias" in legacy
    assert upgrade_state_names(legacy).keys() == state.keys()
    named = {k.replace("images.", "patches."): v for k, v in two.state_dict().items()}
    assert "patches.trunks.1.proj.weight" in named and upgrade_state_names(named).keys() == two.state_dict().keys()
    patches = Gato(dataclasses.replace(cnn_config, image_encoder="patches", image_width=48)).state_dict()
    old = {k.replace("images.", "patches."): v for k, v in patches.items()}
    assert upgrade_state_names(old).keys() == patches.keys()  # the patch encoder's own patches.proj stays its own
    assert upgrade_state_names(state) == state


def test_old_glob_patterns_mean_the_new_names():
    assert upgrade_pattern("patches.*") == "images.*"
    assert upgrade_pattern("patches.trunks.1.*") == "images.trunks.1.*"
    assert upgrade_pattern("blocks.*") == "blocks.*" and upgrade_pattern("images.*") == "images.*"


def test_a_trunk_added_at_zero_leaves_every_logit_as_it_was(cnn_config):
    torch.manual_seed(0)
    model = Gato(cnn_config).eval()
    donor = Gato(cnn_config)
    space = spaces.Box(0, 255, (60, 50, 3), np.uint8)
    frames = np.random.default_rng(0).integers(0, 256, (5, 60, 50, 3), dtype=np.uint8)

    def logits():
        agent = GatoAgent(model, space, spaces.Discrete(4))
        out = []
        for frame in frames:
            agent.act(frame)
            out.append(agent.last_logits[0])
        return torch.cat(out)

    before = logits()
    weights = trunk_weights({k.replace("images.", "patches."): v for k, v in donor.state_dict().items()})  # old names too
    assert model.add_image_trunk(weights) == 1
    assert model.config.cnn_trunks == 2 and len(model.images.trunks) == 2
    added = model.images.trunks[1]
    assert torch.equal(added.conv[0].weight, donor.images.trunks[0].conv[0].weight)
    assert not added.proj.weight.any() and not added.proj.bias.any()
    assert torch.equal(logits(), before)  # bit for bit
    Gato(model.config).load_state_dict(model.state_dict())  # the config describes the weights (strict)


def test_a_trunk_that_does_not_fit_is_refused(cnn_config, micro_config):
    model = Gato(cnn_config)
    other = Gato(dataclasses.replace(cnn_config, image_height=64))
    with pytest.raises(ValueError, match="do not fit a trunk of this encoder"):
        model.add_image_trunk(trunk_weights(other.state_dict()))
    with pytest.raises(ValueError, match="no CNN trunk 3"):
        trunk_weights(model.state_dict(), 3)
    with pytest.raises(ValueError, match="no CNN trunk at all"):
        trunk_weights(Gato(micro_config).state_dict())
    with pytest.raises(ValueError, match="only a CNN image encoder has trunks"):
        Gato(micro_config).add_image_trunk(trunk_weights(model.state_dict()))


def test_a_frozen_trunk_stays_out_of_the_optimizer(cnn_config):
    model = Gato(dataclasses.replace(cnn_config, cnn_trunks=2))
    assert isinstance(model.images, FrameCNN)
    model.images.freeze_trunk(0)
    frozen = {id(p) for p in model.images.trunks[0].parameters()}
    assert all(not p.requires_grad for p in model.images.trunks[0].parameters())
    assert all(p.requires_grad for p in model.images.trunks[1].parameters())
    optimized = {id(p) for group in build_optimizer(model, 1e-3, 0.1, torch.device("cpu")).param_groups for p in group["params"]}
    assert not frozen & optimized and {id(p) for p in model.images.trunks[1].parameters()} <= optimized
    with pytest.raises(IndexError, match="trunks 0 to 1"):
        model.images.freeze_trunk(2)
