"""Observation and action codecs: every supported space, token order, and clear errors."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent.spaces import ActionCodec, ObservationCodec, is_image_space
from gato_agent.text import default_text_tokenizer, train_sentencepiece
from gato_agent.timestep import Timestep

IMAGE = spaces.Box(0, 255, (40, 30, 3), np.uint8)


def observation_tokens(codec, obs):
    """One first observation's tokens (1, n_obs), laid out as a timestep lays them (gato_agent.timestep)."""
    return Timestep(codec, ActionCodec(spaces.Discrete(2), codec.config)).encode(obs, 1)


def test_timestep_order_images_first_then_sorted_keys(micro_config):
    space = spaces.Dict({"z": spaces.Discrete(5), "a": spaces.Box(-np.inf, np.inf, (2,)), "cam": IMAGE})
    codec = ObservationCodec(space, micro_config)
    assert codec.num_patches == 4 and codec.num_tokens == 4 + 2 + 1
    obs = {"z": np.int64(3), "a": np.array([0.0, 1e6], np.float32), "cam": np.zeros((40, 30, 3), np.uint8)}
    tokens = observation_tokens(codec, {k: np.asarray(v)[None] for k, v in obs.items()})
    assert tokens.patch_mask[0].tolist() == [True] * 4 + [False] * 3
    offset, bins = micro_config.continuous_offset, micro_config.continuous_bins
    assert tokens.ids[0, 4:].tolist() == [offset + bins // 2, offset + bins - 1, 3]  # a[0], a[1] (clipped), z
    assert tokens.local_pos[0].tolist() == list(range(1, 8))
    assert tokens.patches.shape == (4, 3, 16, 16)


def test_tuple_multidiscrete_multibinary_and_discrete_start(micro_config):
    space = spaces.Tuple((spaces.MultiDiscrete([3, 4], start=[1, -2]), spaces.MultiBinary(3), spaces.Discrete(4, start=10)))
    codec = ObservationCodec(space, micro_config)
    obs = (np.array([[3, -2]]), np.array([[1, 0, 1]], np.int8), np.array([12]))
    assert codec.tokenize(obs, 1)[0][0].tolist() == [2, 0, 1, 0, 1, 2]


@pytest.mark.parametrize(
    "space",
    [spaces.Graph(spaces.Box(0, 1, (2,)), None), spaces.Sequence(spaces.Discrete(2)),
     spaces.Dict({"ok": spaces.Discrete(2), "bad": spaces.Sequence(spaces.Discrete(2))})],
)
def test_unsupported_observation_spaces_name_the_supported_ones(space, micro_config):
    with pytest.raises(TypeError, match="supported: Text .*SentencePiece.*Box .*Discrete, MultiDiscrete, MultiBinary, and Dict/Tuple"):
        ObservationCodec(space, micro_config)


def test_unsupported_action_spaces(micro_config):
    with pytest.raises(TypeError, match="supported: Discrete, MultiDiscrete, Box"):
        ActionCodec(spaces.MultiBinary(3), micro_config)
    with pytest.raises(ValueError, match="finite bounds"):
        ActionCodec(spaces.Box(-np.inf, np.inf, (2,)), micro_config)
    with pytest.raises(ValueError, match=r"2000 discrete values .* \[0, 1024\)"):
        ActionCodec(spaces.Discrete(2000), micro_config)


def test_shape_dtype_and_value_errors_say_where(micro_config):
    codec = ObservationCodec(spaces.Dict({"cam": IMAGE, "vec": spaces.Box(-1, 1, (3,))}), micro_config)
    good = {"cam": np.zeros((1, 40, 30, 3), np.uint8), "vec": np.zeros((1, 3), np.float32)}
    with pytest.raises(ValueError, match=r"obs\['vec'\] has shape \(1, 4\) but the space .* expects \(3,\)"):
        codec.tokenize({**good, "vec": np.zeros((1, 4), np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['cam'\] has dtype float32 but the image space .* expects uint8"):
        codec.tokenize({**good, "cam": np.zeros((1, 40, 30, 3), np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['vec'\] holds a non-finite value nan at index \[0, 1\]"):
        codec.tokenize({**good, "vec": np.array([[0, np.nan, 0]], np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['vec'\] holds a non-finite value inf"):
        codec.tokenize({**good, "vec": np.array([[np.inf, 0, 0]], np.float32)}, 1)
    with pytest.raises(ValueError, match=r"no entry obs\['vec'\]"):
        codec.tokenize({"cam": good["cam"]}, 1)
    discrete = ObservationCodec(spaces.Discrete(3), micro_config)
    with pytest.raises(ValueError, match="outside Discrete\\(3\\)"):
        discrete.tokenize(np.array([5]), 1)


def test_box_actions_round_trip_within_half_a_bin_of_their_bounds(micro_config):
    space = spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, 10.0], np.float32))
    codec = ActionCodec(space, micro_config)
    actions = np.array([[-2.0, 0.0], [0.3, 7.7], [2.0, 10.0]], np.float32)
    back = codec.decode(codec.encode(actions, 3))
    half_bin = (space.high - space.low) / micro_config.continuous_bins
    assert np.all(np.abs(back - actions) <= half_bin + 1e-6)
    every = torch.arange(micro_config.continuous_offset, micro_config.separator_id)
    decoded = codec.decode(torch.stack([every, every], 1))
    assert decoded.dtype == np.float32 and all(space.contains(a) for a in decoded)


def test_discrete_actions_round_trip(micro_config):
    for space, action in ((spaces.Discrete(4, start=-1), np.int64(2)), (spaces.MultiDiscrete([[2, 3], [4, 5]]), np.array([[1, 2], [3, 4]]))):
        codec = ActionCodec(space, micro_config)
        ids = codec.encode(np.asarray(action)[None], 1)
        assert all(lo <= i < hi for i, (lo, hi) in zip(ids[0].tolist(), codec.ranges))
        back = codec.decode(ids)[0]
        assert space.contains(back) and np.array_equal(back, action)


def test_batched_detection(micro_config):
    codec = ObservationCodec(gym.make("CartPole-v1").observation_space, micro_config)
    assert not codec.is_batched(np.zeros(4, np.float32))
    assert codec.is_batched(np.zeros((3, 4), np.float32))


def test_text_comes_first_pads_and_round_trips(micro_config):
    space = spaces.Dict({"a": spaces.Discrete(3), "cam": IMAGE, "mission": spaces.Text(40, charset="abcdefghijklmnopqrstuvwxyz ")})
    codec = ObservationCodec(space, micro_config)
    n_text = micro_config.max_text_tokens  # min(40 + 1, 16)
    assert codec.num_text == n_text and codec.num_tokens == n_text + 4 + 1
    obs = {"a": np.array([2]), "cam": np.zeros((1, 40, 30, 3), np.uint8), "mission": np.array(["go to the red ball"])}
    tokens = observation_tokens(codec, obs)
    assert tokens.patch_mask[0].tolist() == [False] * n_text + [True] * 4 + [False]
    assert tokens.local_pos[0].tolist() == list(range(1, n_text + 6))  # text tokens are observation tokens [2.2]
    ids = tokens.ids[0]
    assert ids[:5].tolist() == default_text_tokenizer().encode(["go to the red ball"])[0]  # one token a word
    assert ids[5:n_text].tolist() == [0] * (n_text - 5) and ids[-1] == 2  # padding, then a
    assert int(ids[:n_text].max()) < micro_config.text_vocab_size
    assert codec.decode_text(ids) == ["go to the red ball"]


def test_mission_space_tokenizes_and_round_trips(micro_config):
    from minigrid.core.mission import MissionSpace

    space = spaces.Dict({"mission": MissionSpace(lambda color: f"pick up the {color} key", [["red", "grey"]]),
                         "direction": spaces.Discrete(4)})
    codec = ObservationCodec(space, micro_config)
    assert codec.num_text == micro_config.max_text_tokens  # a space of str without max_length: the config's cap
    batch = {"mission": np.array(["pick up the grey key", "pick up the red key"]), "direction": np.array([0, 3])}
    ids, _ = codec.tokenize(batch, 2)
    assert [codec.decode_text(row) for row in ids] == [["pick up the grey key"], ["pick up the red key"]]
    assert codec.is_batched(batch) and not codec.is_batched({"mission": "pick up the red key", "direction": 1})


def test_long_text_is_cut_with_one_warning(micro_config):
    codec = ObservationCodec(spaces.Text(8, charset="ab "), micro_config)  # a slot of 9 tokens
    with pytest.warns(UserWarning, match=r"text of 24 tokens cut to the 9"):
        ids, _ = codec.tokenize(np.array(["Über straße café naïve"]), 1)
    assert ids.shape == (1, 9)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codec.tokenize(np.array(["Über straße café naïve"]), 1)  # warned once only
    with pytest.raises(ValueError, match=r"obs holds int 3; the text space .* expects str"):
        codec.tokenize([3], 1)


def test_tokenizer_must_fit_the_text_range(micro_config):
    import dataclasses

    small = dataclasses.replace(micro_config, text_vocab_size=320, discrete_values=256)
    with pytest.raises(ValueError, match=r"tokenizer has 384 ids but the model's text range is \[0, 320\)"):
        ObservationCodec(spaces.Text(10), small)
    words = train_sentencepiece(["go to the door"] * 3, vocab_size=300)
    assert ObservationCodec(spaces.Text(10), small, text_tokenizer=words).text_tokenizer is words


def test_a_symbolic_grid_is_discrete_and_a_frame_is_patches(micro_config):
    import dataclasses

    micro_config = dataclasses.replace(micro_config, max_observation_tokens=256)
    grid = spaces.Box(0, 255, (7, 7, 3), np.uint8)
    assert not is_image_space(grid) and is_image_space(spaces.Box(0, 255, (16, 16), np.uint8))
    assert is_image_space(IMAGE) and not is_image_space(spaces.Box(0, 255, (15, 64, 3), np.uint8))
    assert not is_image_space(spaces.Box(0, 1, (32, 32)))
    codec = ObservationCodec(grid, micro_config)
    assert codec.num_patches == 0 and codec.num_tokens == 147
    value = np.random.default_rng(0).integers(0, 11, (1, 7, 7, 3), dtype=np.uint8)
    assert codec.tokenize(value, 1)[0][0].tolist() == value.reshape(-1).tolist()  # the codes themselves [2.1]
    declared = ObservationCodec(spaces.MultiDiscrete(np.full((7, 7, 3), 11), dtype=np.uint8), micro_config)
    assert torch.equal(declared.tokenize(value, 1)[0], codec.tokenize(value, 1)[0])
    frame = ObservationCodec(spaces.Box(0, 255, (64, 64, 3), np.uint8), micro_config)
    assert frame.num_patches == frame.num_tokens == 4


def test_the_cnn_encoder_reads_each_whole_stacked_frame_as_one_token(micro_config):
    """Two images a timestep, 3 frames stacked: 2 image tokens, each the (3, H, W) stack in [0, 1]."""
    import dataclasses

    config = dataclasses.replace(micro_config, image_encoder="cnn", image_height=40, image_width=48,
                                 image_channels=1, frame_stack=3)
    space = spaces.Dict({"a": spaces.Box(0, 255, (40, 48), np.uint8), "b": spaces.Box(0, 255, (40, 48), np.uint8),
                         "v": spaces.Box(-1, 1, (2,))})
    codec = ObservationCodec(space, config)
    assert codec.num_patches == 2 and codec.num_tokens == 4
    steps = {"a": np.stack([np.full((40, 48), 51 * t, np.uint8) for t in range(4)]),
             "b": np.full((4, 40, 48), 255, np.uint8), "v": np.zeros((4, 2), np.float32)}
    step = Timestep(codec, ActionCodec(spaces.Discrete(2), config))
    ids, frames = codec.tokenize(steps, 4)
    tokens = step.observation(ids, step.stacker().sequence(frames, 0, 4))  # (4, 4)
    assert tokens.patch_mask[0].tolist() == [True, True, False, False]
    assert tokens.patches.shape == (8, 3, 40, 48)
    # step 3 of image "a" stacks frames 1, 2, 3 (oldest first); the first step repeats frame 0
    assert tokens.patches[6, :, 0, 0].tolist() == pytest.approx([0.2, 0.4, 0.6])
    assert tokens.patches[0, :, 0, 0].tolist() == [0.0, 0.0, 0.0] and bool((tokens.patches[7] == 1).all())


def test_is_image_space_is_the_one_rule_for_images():
    assert is_image_space(spaces.Box(0, 255, (84, 84), np.uint8))
    assert is_image_space(spaces.Box(0, 255, (210, 160, 3), np.uint8))
    assert not is_image_space(spaces.Box(0, 255, (4, 84, 84), np.uint8))  # channels first: not an image
    assert not is_image_space(spaces.Box(-1, 1, (84, 84, 3), np.float32))
    assert not is_image_space(spaces.Discrete(3))
