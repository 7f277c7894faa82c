"""rollouts.pretrain_encoder: the frame encoder pre-trained as a classifier, then written into a Gato."""

import dataclasses

import pytest
import torch

from gato_agent.checkpoint import load_checkpoint, save_checkpoint_whole
from gato_agent.model import Gato
from rollouts.pretrain_encoder import main


@pytest.fixture
def breakout(make_dataset):
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    train = make_dataset("ALE/Breakout-v5", lambda obs: 1, episodes=2, max_steps=12)
    heldout = make_dataset("ALE/Breakout-v5", lambda obs: 1, episodes=1, max_steps=8, seed=100)
    return train, heldout


def test_save_init_writes_the_trained_cnn_as_the_gatos_image_encoder(breakout, micro_config, tmp_path, capsys):
    train, heldout = breakout
    config = dataclasses.replace(micro_config, image_height=48, image_width=48)
    source = Gato(config)
    save_checkpoint_whole(tmp_path / "source", source, {})
    out = tmp_path / "init"
    assert main(["--dataset", str(train), "--heldout", str(heldout), "--checkpoint", str(tmp_path / "source"),
                 "--frame-stack", "2", "--image-channels", "1", "--minutes", "0.02", "--eval-every", "0.01",
                 "--save-init", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| minutes | samples | task | held-out agreement |" in printed
    assert "always action 1: 1.000 held-out agreement" in printed  # the policy pressed FIRE throughout
    model = load_checkpoint(out).model
    assert (model.config.image_encoder, model.config.frame_stack, model.config.image_channels) == ("cnn", 2, 1)
    for name, value in source.state_dict().items():  # every weight outside the image encoder is the source's
        if not name.startswith("images."):
            assert torch.equal(model.state_dict()[name], value), name


def test_bad_arguments_exit_2_with_the_reason(breakout, capsys):
    train, heldout = breakout
    with pytest.raises(SystemExit) as e:
        main(["--dataset", str(train), "--heldout", str(heldout), "--net", "gato", "--save-init", "x"])
    assert e.value.code == 2
    assert "--save-init needs --net cnn" in capsys.readouterr().err
