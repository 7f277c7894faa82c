"""Shared fixtures: tiny model configs that run in milliseconds."""

import os

import pytest
import torch

os.environ.setdefault("MUJOCO_GL", "egl")
torch.set_num_threads(1)  # tiny models: one thread is faster and immune to a busy machine


@pytest.fixture
def micro_config():
    """A 2-layer, 32-wide control-only Gato with small images (2x2 patches per frame)."""
    from gato_agent import GatoConfig

    return GatoConfig(
        num_layers=2, embed_dim=32, num_heads=4, ff_dim=64, context_length=256, text_vocab_size=1024,
        image_height=32, image_width=32, patch_hidden_channels=8, patch_norm_groups=4, max_observation_tokens=64,
    )
