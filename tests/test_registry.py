"""The task registry: every family builds, seeds reproduce, unknown ids get suggestions."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import RecordEpisodeStatistics

import envs
from envs.mujoco import mujoco_ids

REGISTRY = list(dict.fromkeys([*envs.SUITES["default"], *mujoco_ids(), "ALE/SpaceInvaders-v5", "CartPole-v1"]))


def _rollout(env, seed, steps=20):
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    trace = [_numbers(obs)]
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        trace.append(np.append(_numbers(obs), reward))
        if terminated or truncated:
            break
    return np.concatenate(trace)


def _numbers(obs):
    """The first 64 numbers of an observation (a Dict's entries by key; text as its length)."""
    if isinstance(obs, dict):
        return np.concatenate([_numbers(obs[k]) for k in sorted(obs)])[:64]
    if isinstance(obs, str):
        return np.array([len(obs)], dtype=np.float64)
    return np.asarray(obs, dtype=np.float64).ravel()[:64]


@pytest.mark.parametrize("task_id", REGISTRY)
def test_every_task_builds_steps_and_reproduces(task_id):
    env = envs.make(task_id)
    try:
        assert isinstance(env, RecordEpisodeStatistics)
        assert env.task_spec.task_id == task_id
        first, second = _rollout(env, seed=7), _rollout(env, seed=7)
        np.testing.assert_array_equal(first, second)
    finally:
        env.close()


def test_families():
    assert envs.task_family("ALE/Breakout-v5") == "atari"
    assert envs.task_family("Hopper-v5") == "mujoco"
    assert envs.task_family("CartPole-v1") == "gymnasium"
    assert envs.task_family("Hopper-v4") == "gymnasium"  # registered, but not one of the 11 v5 tasks
    assert envs.task_family("Breakout-v4") == "gymnasium"  # other ALE protocols go through gym.make as is
    assert envs.task_family("BabyAI-GoToLocal-v0") == "babyai"
    assert envs.task_family("MiniGrid-Empty-5x5-v0") == "gymnasium"  # minigrid's other envs: as gym.make makes them
    ids = envs.known_task_ids()
    assert "ALE/Pong-v5" in ids and "Walker2d-v5" in ids and "CartPole-v1" in ids and "BabyAI-BossLevel-v0" in ids


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [("HalfCheta-v5", "HalfCheetah-v5"), ("Breakout", "ALE/Breakout-v5"), ("ALE/Pongg-v5", "ALE/Pong-v5")],
)
def test_unknown_id_suggests_closest(bad, suggestion):
    with pytest.raises(envs.UnknownTaskError, match="closest known ids") as err:
        envs.make(bad)
    assert suggestion in str(err.value)
    assert isinstance(err.value, ValueError)


def test_suites():
    default = envs.suite("default")
    assert default[:2] == ("ALE/Breakout-v5", "ALE/Pong-v5") and len(default) == len(set(default)) == 74
    assert set(envs.suite("metaworld")) <= set(default) and {"Walker2d-v5", "Ant-v5", "BabyAI-GoToDoor-v0"} <= set(default)
    assert {"BabyAI-GoToRedBall-v0", "BabyAI-GoToLocal-v0"} <= set(envs.suite("babyai"))
    with pytest.raises(ValueError, match="known suites: atari57, babyai, default, metaworld, mujoco"):
        envs.suite("atari100k")


def test_make_seed_and_kwargs_are_recorded():
    env = envs.make("Hopper-v5", seed=3, max_episode_steps=5, reset_noise_scale=0.01)
    assert env.task_spec.make_kwargs == {"reset_noise_scale": 0.01, "max_episode_steps": 5}
    steps = 0
    truncated = terminated = False
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(np.zeros(env.action_space.shape))
        steps += 1
    assert truncated and steps == 5 and info["episode"]["l"] == 5
    env.close()


def test_vector_env_does_not_autoreset():
    vec, task = envs.make_vector("CartPole-v1", 2, max_episode_steps=3)
    assert task.family == "gymnasium"
    assert vec.metadata["autoreset_mode"] == AutoresetMode.DISABLED
    vec.reset(seed=[0, 1])
    for _ in range(3):
        _, _, terminated, truncated, info = vec.step(np.zeros(2, dtype=np.int64))
    assert truncated.all() and not terminated.any()
    assert info["_episode"].all() and list(info["episode"]["l"]) == [3, 3]
    # Nothing was reset behind our back: a finished sub-env must be reset explicitly.
    with pytest.raises(AssertionError):
        vec.step(np.zeros(2, dtype=np.int64))
    vec.reset(seed=[5, None], options={"reset_mask": np.array([True, True])})
    vec.step(np.zeros(2, dtype=np.int64))
    vec.close()
    with pytest.raises(ValueError, match="num_envs"):
        envs.make_vector("CartPole-v1", 0)
    with pytest.raises(envs.UnknownTaskError):
        envs.make_vector("NoSuchEnv-v0", 2)


def test_envs_never_imports_the_agent_side():
    import subprocess
    import sys

    code = "import sys, envs; bad = [m for m in sys.modules if m.split('.')[0] in ('gato_agent', 'rollouts')]; print(bad); sys.exit(bool(bad))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    assert gym.registry  # the ids above came from the real registry


def test_a_cap_never_lengthens_the_tasks_own_limit():
    env = envs.make("Reacher-v5", max_episode_steps=200)  # Reacher's own limit is 50
    env.reset(seed=0)
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps, done = steps + 1, terminated or truncated
    assert steps == 50
    assert env.task_spec.time_limit == 50 and env.task_spec.max_episode_steps == 50 and not env.task_spec.capped
    short = envs.make("Reacher-v5", max_episode_steps=20).task_spec
    assert (short.time_limit, short.max_episode_steps, short.capped) == (50, 20, True)
    assert short.make_kwargs["max_episode_steps"] == 20
    assert envs.make("ALE/Pong-v5").task_spec.time_limit == 27_000


def test_module_colon_id_imports_the_module_then_makes_the_id(tmp_path, monkeypatch):
    (tmp_path / "my_user_envs.py").write_text(
        "import gymnasium as gym\n"
        "gym.register('MyUserCartPole-v0', entry_point='gymnasium.envs.classic_control:CartPoleEnv', max_episode_steps=30)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    env = envs.make("my_user_envs:MyUserCartPole-v0")
    assert env.task_spec.task_id == "my_user_envs:MyUserCartPole-v0" and env.task_spec.time_limit == 30
    with pytest.raises(envs.UnknownTaskError, match="does not import"):
        envs.task_family("no_such_module_xyz:Env-v0")
    with pytest.raises(envs.UnknownTaskError, match="did not register"):
        envs.task_family("my_user_envs:Other-v0")


def test_make_kwargs_reach_the_env_and_are_recorded():
    env = envs.make("Hopper-v5", reset_noise_scale=0.2)
    assert env.unwrapped._reset_noise_scale == 0.2 and env.task_spec.make_kwargs == {"reset_noise_scale": 0.2}


def test_env_factories_are_capped_and_recorded():
    vec, spec = envs.make_vector(lambda: gym.make("CartPole-v1"), 2, max_episode_steps=10)
    assert (spec.task_id, spec.family, spec.time_limit, spec.max_episode_steps) == ("CartPole-v1", "custom", 500, 10)
    vec.close()
    with pytest.raises(ValueError, match="factory"):
        envs.make_vector(lambda: gym.make("CartPole-v1"), 1, reset_noise_scale=0.1)


NO_ARGUMENTS_ENV = '''
import numpy as np, gymnasium as gym


class Env(gym.Env):
    def __init__(self):  # takes no render_mode, nor anything else
        self.observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(2, np.float32), 1.0, self.t >= 4, False, {}


gym.register("NoArgs/Env-v0", entry_point=Env, max_episode_steps=50)
'''


@pytest.mark.parametrize("command", ["eval", "collect"])
def test_an_env_whose_init_takes_no_arguments_is_evaluated_and_collected(command, tmp_path, monkeypatch, capsys):
    from rollouts.collect import main as collect_main
    from rollouts.eval import main as eval_main

    (tmp_path / "noargs_envs.py").write_text(NO_ARGUMENTS_ENV)
    monkeypatch.syspath_prepend(str(tmp_path))
    main, more = {"eval": (eval_main, ["--no-video"]), "collect": (collect_main, [])}[command]
    code = main(["--env", "noargs_envs:NoArgs/Env-v0", "--policy", "random", "--episodes", "2", "--no-progress",
                 "--out", str(tmp_path / "out"), *more])
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("kwargs,message", [
    ('{"max_episode_steps": 3}', "--env-kwargs: max_episode_steps is set by --max-episode-steps, not by --env-kwargs"),
    ('{"render_mode": "human"}', "--env-kwargs: render_mode is set by --video"),
    ('{"bogus": 1}', "unexpected keyword argument 'bogus'"),
])
@pytest.mark.parametrize("command", ["eval", "collect"])
def test_bad_env_kwargs_are_the_same_usage_error_in_both_commands(command, kwargs, message, tmp_path, capsys):
    from rollouts.collect import main as collect_main
    from rollouts.eval import main as eval_main

    main, more = {"eval": (eval_main, ["--no-video"]), "collect": (collect_main, [])}[command]
    code = main(["--env", "CartPole-v1", "--policy", "random", "--episodes", "1", "--no-progress", "--env-kwargs", kwargs,
                 "--out", str(tmp_path / "out"), *more])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.splitlines() == [err] and message in err, err
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize("form", ["env", "policy"])
def test_a_module_in_the_current_folder_suggests_pythonpath(form, tmp_path, monkeypatch, capsys):
    from rollouts.eval import main as eval_main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "herelocal.py").write_text("def act(obs):\n    return 0\n")
    env, policy = ("herelocal:Here-v0", "random") if form == "env" else ("CartPole-v1", "herelocal:act")
    assert eval_main(["--env", env, "--policy", policy, "--episodes", "1", "--no-video", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "No module named 'herelocal'" in err and "herelocal is in the current folder" in err and "PYTHONPATH=." in err, err
