"""The BabyAI family: standard spaces (grid as categories, mission as Text), RGB frames, the corpus."""

import numpy as np
from gymnasium import spaces

import envs
from envs.babyai import babyai_ids, is_babyai_id, mission_corpus


def test_observations_are_declared_in_standard_spaces_and_belong_to_them():
    env = envs.make("BabyAI-GoToLocal-v0", render=True)
    space = env.observation_space
    assert isinstance(space["image"], spaces.MultiDiscrete) and space["image"].shape == (7, 7, 3)
    assert space["image"].dtype == np.uint8 and space["image"].nvec[0, 0].tolist() == [11, 6, 3]
    assert type(space["mission"]) is spaces.Text and space["direction"] == spaces.Discrete(4)
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        assert space.contains(obs), obs
        obs, *_ = env.step(env.action_space.sample())
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and min(frame.shape[:2]) >= 64
    assert obs["mission"].startswith("go to")
    assert isinstance(env.unwrapped.observation_space["image"], spaces.Box)  # minigrid's own declaration


def test_ids_and_the_corpus():
    ids = babyai_ids()
    assert "BabyAI-GoToRedBall-v0" in ids and all(is_babyai_id(i) for i in ids)
    assert not is_babyai_id("MiniGrid-Empty-5x5-v0") and not is_babyai_id("BabyAI-Nope-v0")
    corpus = mission_corpus(["BabyAI-GoToRedBall-v0", "BabyAI-GoToLocal-v0"], seeds=5)
    assert "go to the red ball" in corpus and corpus == sorted(set(corpus))
