"""rollouts.policies: one spec for both CLIs, and the adapters behind it."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from rollouts.policies import (ExpertPolicy, PerObservation, PolicyError, PolicySpec, RandomPolicy,
                               parse_policy, policy_factory)


@pytest.mark.parametrize(("spec", "checkpoint", "parsed"), [
    ("gato", None, PolicySpec("gato")),
    ("gato:ckpt/a", None, PolicySpec("gato", "ckpt/a")),
    ("checkpoint:ckpt/a", None, PolicySpec("gato", "ckpt/a")),
    ("gato", "ckpt/b", PolicySpec("gato", "ckpt/b")),
    ("expert", None, PolicySpec("expert")),
    ("random", None, PolicySpec("random")),
    ("mypkg.mod:make.policy", None, PolicySpec("module", "mypkg.mod:make.policy")),
])
def test_every_form_parses(spec, checkpoint, parsed):
    assert parse_policy(spec, checkpoint) == parsed


@pytest.mark.parametrize(("spec", "checkpoint", "message"), [
    ("greedy", None, "unknown --policy 'greedy'; accepted: gato, gato:PATH"),
    ("gato:", None, "no checkpoint folder after 'gato:'"),
    ("random", "ckpt", "--checkpoint is only used with --policy gato"),
    ("not a module:f", None, "unknown --policy"),
])
def test_bad_specs_say_what_is_accepted(spec, checkpoint, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(spec, checkpoint)


def test_expert_needs_its_envs_and_acts_per_sub_env():
    vec, _ = envs.make_vector("InvertedPendulum-v5", 2)
    policy = policy_factory(PolicySpec("expert"))("InvertedPendulum-v5", vec.single_observation_space,
                                                  vec.single_action_space, 2)
    assert isinstance(policy, ExpertPolicy)
    obs, _ = vec.reset(seed=[0, 1])
    with pytest.raises(RuntimeError, match="bind_envs"):
        policy.reset(None)
    policy.bind_envs(vec.envs)
    policy.reset(None)
    assert policy.act(obs).shape == (2, 1)
    vec.close()


def test_per_observation_adapter_and_a_bound_random_policy():
    space = gym.spaces.Box(-1, 1, (3,), np.float32)
    policy = PerObservation(lambda o: int(o[0] > 0), space, gym.spaces.Discrete(2), num_envs=2)
    assert policy.act(np.array([[0.5, 0, 0], [-0.5, 0, 0]], np.float32)).tolist() == [1, 0]
    with pytest.raises(PolicyError, match="can act for one env only"):
        PerObservation(lambda o: 0, space, gym.spaces.Discrete(2), num_envs=2, reset=lambda: None)
    env = envs.make("CartPole-v1")
    bound = RandomPolicy(env.action_space)
    bound.bind_envs([env])
    obs, _ = env.reset(seed=3)
    env.action_space.seed(3)
    first = [bound.act(obs[None]).tolist() for _ in range(5)]
    env.action_space.seed(3)
    assert [bound.act(obs[None]).tolist() for _ in range(5)] == first  # bound: samples the env's own seeded space


def test_a_gato_checkpoint_policy_tokenizes_text_with_the_checkpoints_tokenizer(tmp_path, micro_config):
    from gato_agent import Gato, GatoAgent
    from gato_agent.text import default_text_tokenizer, train_sentencepiece

    space = gym.spaces.Dict({"mission": gym.spaces.Text(20), "direction": gym.spaces.Discrete(4)})
    own = train_sentencepiece(["go to the door", "open the box"] * 4, vocab_size=300)
    GatoAgent(Gato(micro_config), space, gym.spaces.Discrete(3), text_tokenizer=own).save_pretrained(tmp_path / "ckpt")
    policy = policy_factory(PolicySpec("gato", str(tmp_path / "ckpt")))("BabyAI-GoToLocal-v0", space,
                                                                         gym.spaces.Discrete(3), 1)
    assert policy.obs_codec.text_tokenizer == own != default_text_tokenizer()


@pytest.mark.parametrize("command", ["eval", "collect"])
def test_a_checkpoint_plays_only_its_own_tasks_alike_in_both_commands(command, tmp_path, capsys):
    from rollouts.collect import main as collect_main
    from rollouts.eval import main as eval_main

    main, more = {"eval": (eval_main, ["--no-video"]), "collect": (collect_main, [])}[command]
    level = "BabyAI-GoToObjS4-v0"  # same spaces as the checkpoint's BabyAI levels, but another level
    args = ["--env", level, "--policy", "gato", "--episodes", "1", "--max-episode-steps", "3", "--no-progress", *more]
    assert main([*args, "--out", str(tmp_path / "unseen")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and len(err) < 600, err
    assert f"--policy gato was not trained on {level} (its tasks: " in err and "--as-task TASK" in err
    assert " and 66 more (gato-eval --suite default --list prints them)" in err
    assert not (tmp_path / "unseen").exists()
    # named, the task is borrowed
    assert main([*args, "--as-task", "BabyAI-GoToObj-v0", "--out", str(tmp_path / "borrowed")]) == 0, capsys.readouterr().err


def test_a_borrowed_task_of_other_spaces_is_refused_in_a_short_line():
    from gato_agent.checkpoint import load_checkpoint

    humanoid = envs.make("Humanoid-v5")
    factory = policy_factory(PolicySpec("gato"), task_ids=["Humanoid-v5"], as_task="BabyAI-GoToLocal-v0")
    with pytest.raises(ValueError) as error:
        factory("Humanoid-v5", humanoid.observation_space, humanoid.action_space, 1)
    assert len(str(error.value)) < 400 and "task 'BabyAI-GoToLocal-v0' of checkpoint" in str(error.value), str(error.value)
    with pytest.raises(PolicyError, match=r"--as-task Nope-v0: --policy gato has no such task; its tasks: .* and 66 more"):
        policy_factory(PolicySpec("gato"), as_task="Nope-v0")
    with pytest.raises(ValueError) as error:  # spaces alone: a checkpoint of other spaces, grouped by spaces
        load_checkpoint(None).select(None, humanoid.observation_space, humanoid.action_space)
    message = str(error.value)
    assert len(message) < 3000 and message.count("Discrete(7): BabyAI-GoToRedBall-v0, BabyAI-GoToLocal-v0, ") == 1, message


@pytest.mark.parametrize("command", ["eval", "collect"])
def test_a_checkpoint_of_other_spaces_is_the_same_usage_error_in_both_commands(command, tmp_path, micro_config, capsys):
    from gato_agent import Gato, GatoAgent
    from rollouts.collect import main as collect_main
    from rollouts.eval import main as eval_main

    cartpole = envs.make("CartPole-v1")
    GatoAgent(Gato(micro_config), cartpole.observation_space, cartpole.action_space).save_pretrained(tmp_path / "ckpt")
    main, more = {"eval": (eval_main, ["--no-video"]), "collect": (collect_main, [])}[command]
    code = main(["--env", "Pendulum-v1", "--policy", f"gato:{tmp_path / 'ckpt'}", "--episodes", "1", "--no-progress",
                 "--out", str(tmp_path / "out"), *more])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and "was saved for other spaces than the env's" in err, err


def test_no_prompt_acts_on_the_episode_alone_and_the_report_says_so(tmp_path):
    import json

    from rollouts.eval import main as eval_main

    pendulum = envs.make("InvertedPendulum-v5")
    spaces = (pendulum.observation_space, pendulum.action_space, 1)
    prompted = policy_factory(PolicySpec("gato"), task_ids=["InvertedPendulum-v5"])("InvertedPendulum-v5", *spaces)
    bare = policy_factory(PolicySpec("gato"), task_ids=["InvertedPendulum-v5"], prompt=False)("InvertedPendulum-v5", *spaces)
    assert prompted.prompt is not None and bare.prompt is None
    args = ["--env", "InvertedPendulum-v5", "--episodes", "1", "--max-episode-steps", "3", "--no-video", "--no-progress"]
    assert eval_main([*args, "--no-prompt", "--out", str(tmp_path / "bare")]) == 0
    assert eval_main([*args, "--out", str(tmp_path / "prompted")]) == 0
    assert json.loads((tmp_path / "bare" / "results.json").read_text())["args"]["prompt"] is False
    assert ", without its prompt" in (tmp_path / "bare" / "summary.md").read_text()
    assert "without its prompt" not in (tmp_path / "prompted" / "summary.md").read_text()
