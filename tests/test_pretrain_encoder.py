"""rollouts.pretrain_encoder: the frame encoder pre-trained as a classifier, then written into a Gato."""

import dataclasses

import pytest
import torch

from gato_agent.checkpoint import load_checkpoint, save_checkpoint_whole
from gato_agent.model import Gato
from gato_agent.data import load_task
from rollouts.pretrain_encoder import Frames, held_out, main


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
    assert "| minutes | samples | task | held-out agreement | where the label changes |" in printed
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


def test_held_out_scores_the_steps_where_the_label_changes_apart(make_dataset, micro_config):
    import itertools

    import ale_py
    import gymnasium as gym
    from torch import nn

    gym.register_envs(ale_py)
    labels = itertools.cycle([1, 1, 0, 0])  # within each 8-step episode: changes at steps 2, 4 and 6
    data = make_dataset("ALE/Breakout-v5", lambda obs: next(labels), episodes=2, max_steps=8)
    frames = Frames(load_task(data, dataclasses.replace(micro_config, image_height=48, image_width=48)), micro_config)
    assert frames.changes.tolist() == [False, False, True, False, True, False, True, False] * 2

    class AlwaysFire(nn.Module):
        def forward(self, x, task=0):
            return torch.tensor([0.0, 1.0, 0.0, 0.0]).expand(len(x), -1)

    agreement, changes, recall = held_out(AlwaysFire(), frames, 0)
    assert agreement == 0.5
    assert changes == pytest.approx(1 / 3)  # of each episode's three changes, one is to FIRE
    assert recall[:2] == [0.0, 1.0]
