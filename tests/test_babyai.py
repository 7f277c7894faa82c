"""The BabyAI family: standard spaces (grid as categories, mission as Text), RGB frames, the corpus."""

import numpy as np
from gymnasium import spaces
from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

import envs

from envs.babyai import babyai_ids, cell_codes, is_babyai_id, mission_corpus
from gato_agent.config import GatoConfig
from gato_agent.spaces import ObservationCodec


def test_observations_are_declared_in_standard_spaces_and_belong_to_them():
    env = envs.make("BabyAI-GoToLocal-v0", render=True)
    space = env.observation_space
    assert isinstance(space["grid"], spaces.MultiDiscrete) and space["grid"].shape == (7, 7)
    assert space["grid"].dtype == np.uint8 and (space["grid"].nvec == 11 * 6 * 3).all()
    assert type(space["mission"]) is spaces.Text and space["direction"] == spaces.Discrete(4)
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        assert space.contains(obs), obs
        obs, *_ = env.step(env.action_space.sample())
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and min(frame.shape[:2]) >= 64
    assert obs["mission"].startswith("go to")
    assert isinstance(env.unwrapped.observation_space["image"], spaces.Box)  # minigrid's own declaration


def test_one_category_a_cell_names_object_colour_and_state():
    env = envs.make("BabyAI-GoToLocal-v0")
    obs, _ = env.reset(seed=3)
    for _ in range(4):
        np.testing.assert_array_equal(cell_codes(obs["grid"]), env.unwrapped.gen_obs()["image"])  # minigrid's codes
        obs, *_ = env.step(env.action_space.sample())
    red_ball = (OBJECT_TO_IDX["ball"] * 6 + COLOR_TO_IDX["red"]) * 3
    assert cell_codes(np.array([red_ball])).tolist() == [[OBJECT_TO_IDX["ball"], COLOR_TO_IDX["red"], 0]]
    codec = ObservationCodec(env.observation_space, GatoConfig.from_name("tiny"))
    assert codec.num_patches == 0 and codec.num_tokens == 16 + 1 + 49  # mission slot, direction, one token a cell


def test_ids_and_the_corpus():
    ids = babyai_ids()
    assert "BabyAI-GoToRedBall-v0" in ids and all(is_babyai_id(i) for i in ids)
    assert not is_babyai_id("MiniGrid-Empty-5x5-v0") and not is_babyai_id("BabyAI-Nope-v0")
    corpus = mission_corpus(["BabyAI-GoToRedBall-v0", "BabyAI-GoToLocal-v0"], seeds=5)
    assert "go to the red ball" in corpus and corpus == sorted(set(corpus))
