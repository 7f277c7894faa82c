"""Observation and action codecs: every supported space, token order, and clear errors."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from gato_agent.spaces import ActionCodec, ObservationCodec

IMAGE = spaces.Box(0, 255, (40, 30, 3), np.uint8)


def test_timestep_order_images_first_then_sorted_keys(micro_config):
    space = spaces.Dict({"z": spaces.Discrete(5), "a": spaces.Box(-np.inf, np.inf, (2,)), "cam": IMAGE})
    codec = ObservationCodec(space, micro_config)
    assert codec.num_patches == 4 and codec.num_tokens == 4 + 2 + 1
    obs = {"z": np.int64(3), "a": np.array([0.0, 1e6], np.float32), "cam": np.zeros((40, 30, 3), np.uint8)}
    tokens = codec.encode({k: np.asarray(v)[None] for k, v in obs.items()}, 1)
    assert tokens.patch_mask[0].tolist() == [True] * 4 + [False] * 3
    offset, bins = micro_config.continuous_offset, micro_config.continuous_bins
    assert tokens.ids[0, 4:].tolist() == [offset + bins // 2, offset + bins - 1, 3]  # a[0], a[1] (clipped), z
    assert tokens.local_pos[0].tolist() == list(range(1, 8))
    assert tokens.patches.shape == (4, 3, 16, 16)


def test_tuple_multidiscrete_multibinary_and_discrete_start(micro_config):
    space = spaces.Tuple((spaces.MultiDiscrete([3, 4], start=[1, -2]), spaces.MultiBinary(3), spaces.Discrete(4, start=10)))
    codec = ObservationCodec(space, micro_config)
    obs = (np.array([[3, -2]]), np.array([[1, 0, 1]], np.int8), np.array([12]))
    assert codec.encode(obs, 1).ids[0].tolist() == [2, 0, 1, 0, 1, 2]


@pytest.mark.parametrize(
    "space",
    [spaces.Text(5), spaces.Graph(spaces.Box(0, 1, (2,)), None), spaces.Sequence(spaces.Discrete(2)),
     spaces.Dict({"ok": spaces.Discrete(2), "bad": spaces.Text(3)})],
)
def test_unsupported_observation_spaces_name_the_supported_ones(space, micro_config):
    with pytest.raises(TypeError, match="supported: Box .*Discrete, MultiDiscrete, MultiBinary, and Dict/Tuple"):
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
        codec.encode({**good, "vec": np.zeros((1, 4), np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['cam'\] has dtype float32 but the image space .* expects uint8"):
        codec.encode({**good, "cam": np.zeros((1, 40, 30, 3), np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['vec'\] holds a non-finite value nan at index \[0, 1\]"):
        codec.encode({**good, "vec": np.array([[0, np.nan, 0]], np.float32)}, 1)
    with pytest.raises(ValueError, match=r"obs\['vec'\] holds a non-finite value inf"):
        codec.encode({**good, "vec": np.array([[np.inf, 0, 0]], np.float32)}, 1)
    with pytest.raises(ValueError, match=r"no entry obs\['vec'\]"):
        codec.encode({"cam": good["cam"]}, 1)
    discrete = ObservationCodec(spaces.Discrete(3), micro_config)
    with pytest.raises(ValueError, match="outside Discrete\\(3\\)"):
        discrete.encode(np.array([5]), 1)


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


def test_is_image_space_is_the_one_rule_for_images():
    from gato_agent.spaces import is_image_space

    assert is_image_space(spaces.Box(0, 255, (84, 84), np.uint8))
    assert is_image_space(spaces.Box(0, 255, (210, 160, 3), np.uint8))
    assert not is_image_space(spaces.Box(0, 255, (4, 84, 84), np.uint8))  # channels first: not an image
    assert not is_image_space(spaces.Box(-1, 1, (84, 84, 3), np.float32))
    assert not is_image_space(spaces.Discrete(3))
