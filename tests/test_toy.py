"""envs.toy: the project's own Dict-observation task goes collect -> train -> eval."""

import json

import gymnasium as gym
import minari
import numpy as np
from gymnasium.utils.env_checker import check_env

import envs
from envs.toy import DICT_REACH_ID, DictReach, reach_goal


def test_dict_reach_is_a_valid_env_and_its_policy_reaches_the_goal():
    check_env(DictReach(), skip_render_check=True)
    env = envs.make(DICT_REACH_ID)
    obs, _ = env.reset(seed=0)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(reach_goal(obs))
        total, done = total + reward, terminated or truncated
    assert terminated and total > 0.5


def test_a_dict_task_goes_collect_train_eval(tmp_path, micro_config, monkeypatch):
    import dataclasses

    from gato_agent.train import TrainConfig
    from rollouts.collect import CollectConfig, collect
    from rollouts.eval import main as eval_main
    from rollouts.train import main as train_main

    monkeypatch.chdir(tmp_path)
    data = collect(CollectConfig(env=DICT_REACH_ID, out=tmp_path / "reach-v0", policy="envs.toy:reach_goal",
                                 episodes=4, progress=False)).data_path
    episode = next(minari.MinariDataset(str(data)).iterate_episodes())
    assert set(episode.observations) == {"goal", "position"}
    assert episode.observations["position"].shape == (len(episode.actions) + 1, 1)

    config = tmp_path / "micro.json"
    config.write_text(json.dumps(dataclasses.replace(micro_config, context_length=128).to_dict()))
    assert train_main(["--dataset", str(data), "--out", str(tmp_path / "run"), "--config", str(config),
                       "--batch-size", "2", "--steps", "2", "--warmup-steps", "1", "--checkpoint-every", "2",
                       "--no-progress", "--threads", "1"]) == 0
    assert TrainConfig  # the flags above are TrainConfig's
    out = tmp_path / "eval"
    assert eval_main(["--env", DICT_REACH_ID, "--policy", f"gato:{tmp_path / 'run' / 'step-0000002'}",
                      "--episodes", "2", "--no-video", "--no-progress", "--out", str(out)]) == 0
    (task,) = json.loads((out / "results.json").read_text())["tasks"]
    assert task["status"] == "ok" and len(task["returns"]) == 2 and max(task["lengths"]) <= 16
    assert gym.spec(DICT_REACH_ID).max_episode_steps == 16 and np.isfinite(task["mean"])
