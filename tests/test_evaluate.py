"""rollouts.evaluate on real envs: episode accounting, seeding, faults, aggregates."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from rollouts.evaluate import aggregate, evaluate
from rollouts.policies import RandomPolicy


class Balancer:
    """A hand-written CartPole policy: push towards the side the pole leans to (episodes of varied length)."""

    def __init__(self):
        self.resets = []

    def act(self, obs):
        obs = np.asarray(obs)
        return (obs[..., 2] > 0).astype(np.int64)

    def reset(self, env_ids=None):
        self.resets.append(None if env_ids is None else list(env_ids))


class ZeroTorque:
    """Continuous actions: all zeros, batched."""

    def act(self, obs):
        return np.zeros((len(obs), 3), dtype=np.float32)


def _single_env_episode(task_id, policy, seed, max_episode_steps):
    env = envs.make(task_id, max_episode_steps=max_episode_steps)
    obs, _ = env.reset(seed=seed)
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(policy.act(obs[None])[0])
        total, steps, done = total + reward, steps + 1, terminated or truncated
    env.close()
    return total, steps


@pytest.mark.parametrize(("task_id", "policy", "cap"), [("CartPole-v1", Balancer(), 200), ("Hopper-v5", ZeroTorque(), 40)])
def test_batched_episodes_match_single_env_episodes(task_id, policy, cap):
    results = evaluate(policy, [task_id], episodes=5, seed=11, num_envs=2, max_episode_steps=cap, progress=False)
    task = results.tasks[0]
    assert task.status == "ok" and task.num_envs == 2
    assert task.seeds == [11, 12, 13, 14, 15]
    expected = [_single_env_episode(task_id, policy, s, cap) for s in task.seeds]
    assert task.returns == pytest.approx([r for r, _ in expected], abs=1e-9)
    assert task.lengths == [n for _, n in expected]
    assert task.steps == sum(task.lengths) and task.steps_per_second > 0
    assert task.mean == pytest.approx(np.mean(task.returns))
    assert task.median == pytest.approx(np.median(task.returns))


def test_episode_accounting_and_policy_resets():
    policy = Balancer()
    results = evaluate(policy, ["CartPole-v1"], episodes=4, seed=0, num_envs=3, progress=False)
    task = results.tasks[0]
    assert len(task.returns) == len(task.lengths) == len(task.seeds) == 4
    assert task.num_envs == 3
    assert len(set(task.lengths)) > 1  # episodes of different lengths ended out of step
    assert policy.resets[0] is None  # all envs at the start
    flat = [i for ids in policy.resets[1:] for i in ids]
    assert set(flat) <= {0, 1, 2} and len(flat) >= 4  # each finished episode reset its sub-env
    assert results.tasks[0].normalized is None and results.aggregate.tasks == []


def test_more_envs_than_episodes_uses_fewer_envs():
    results = evaluate(RandomPolicy.factory(0), ["CartPole-v1"], episodes=2, num_envs=8, progress=False)
    assert results.tasks[0].num_envs == 2 and len(results.tasks[0].returns) == 2


def test_same_seed_same_returns_and_normalized_scores():
    run = lambda: evaluate(  # noqa: E731
        RandomPolicy.factory(3), ["ALE/Breakout-v5", "Hopper-v5"], episodes=3, seed=5, num_envs=2,
        max_episode_steps=60, progress=False,
    )
    first, second = run(), run()
    for a, b in zip(first.tasks, second.tasks):
        assert a.status == b.status == "ok"
        assert a.returns == b.returns and a.lengths == b.lengths and a.seeds == b.seeds
    assert first.aggregate == second.aggregate
    hopper = first.tasks[1]
    assert hopper.normalized == pytest.approx((hopper.mean - 18.4) / (1858.7 - 18.4))
    assert first.tasks[0].human_normalized == pytest.approx((first.tasks[0].mean - 1.7) / (30.5 - 1.7))


class Crashes:
    """Raises after a few steps, like a policy bug mid-rollout."""

    def __init__(self, after, exc):
        self.calls, self.after, self.exc = 0, after, exc

    def act(self, obs):
        self.calls += 1
        if self.calls > self.after:
            raise self.exc
        return np.zeros(len(obs), dtype=np.int64)


def _broken_env(**kwargs):
    raise OSError("simulator binary not found")


def test_faulty_tasks_are_recorded_and_the_others_complete():
    gym.register("GatoTest/Broken-v0", entry_point=_broken_env)
    try:
        def factory(task_id, obs_space, act_space, n):
            return Crashes(25, RuntimeError("policy blew up")) if obs_space.shape == (210, 160, 3) else Balancer()

        results = evaluate(
            factory, ["GatoTest/Broken-v0", "ALE/Pong-v5", "CartPole-v1"], episodes=2, num_envs=1,
            max_episode_steps=20, progress=False,
        )
    finally:
        del gym.registry["GatoTest/Broken-v0"]
    broken, pong, cartpole = results.tasks
    assert broken.status == "error" and broken.error == "OSError: simulator binary not found"
    assert "Traceback" in broken.traceback
    assert pong.status == "error" and "policy blew up" in pong.error
    assert pong.returns and len(pong.returns) == 1  # the episode finished before the crash is kept
    assert cartpole.status == "ok" and len(cartpole.returns) == 2
    assert [t.env_id for t in results.failed] == ["GatoTest/Broken-v0", "ALE/Pong-v5"]
    assert results.aggregate.tasks == []  # errored tasks never enter the aggregate


def test_ctrl_c_returns_what_was_gathered():
    results = evaluate(
        lambda t, o, a, n: Crashes(25, KeyboardInterrupt()),
        ["CartPole-v1", "CartPole-v1", "ALE/Pong-v5"], episodes=3, max_episode_steps=10, progress=False,
    )
    assert results.interrupted
    assert [t.status for t in results.tasks] == ["interrupted", "not_run", "not_run"]
    assert len(results.tasks[0].returns) == 2  # the 2 episodes (20 steps) before Ctrl-C are kept


def test_bad_arguments():
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        evaluate(Balancer(), ["CartPole-v1"], episodes=0)
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        evaluate(Balancer(), ["CartPole-v1"], num_envs=0)
    with pytest.raises(TypeError, match="act"):
        evaluate(object(), ["CartPole-v1"])


def test_aggregate_over_tasks_is_rliables_over_every_episode():
    from rollouts.evaluate import TaskResult

    tasks = [
        TaskResult("ALE/Breakout-v5", "ok", normalized_episodes=[0.1, 0.3]),
        TaskResult("Hopper-v5", "ok", normalized_episodes=[1.0, 1.2]),
        TaskResult("Reacher-v5", "ok", normalized_episodes=[0.5, 0.4]),
        TaskResult("Pusher-v5", "ok", normalized_episodes=[0.7, 0.0]),
        TaskResult("Ant-v5", "error"),
        TaskResult("CartPole-v1", "ok"),
    ]
    agg = aggregate(tasks, resamples=500, seed=0)
    assert agg.tasks == ["ALE/Breakout-v5", "Hopper-v5", "Reacher-v5", "Pusher-v5"] and agg.runs == 2
    assert agg.mean == pytest.approx((0.2 + 1.1 + 0.45 + 0.35) / 4)
    assert agg.iqm == pytest.approx(np.mean([0.3, 0.4, 0.5, 0.7]))  # the middle half of all 8 episodes
    assert agg.optimality_gap == pytest.approx(1 - np.mean([0.1, 0.3, 1.0, 1.0, 0.5, 0.4, 0.7, 0.0]))
    assert agg.iqm_ci95[0] <= agg.iqm <= agg.iqm_ci95[1]


def test_the_cap_never_lengthens_a_tasks_own_limit():
    results = evaluate(RandomPolicy.factory(0), ["Reacher-v5"], episodes=2, max_episode_steps=200, progress=False)
    task = results.tasks[0]
    assert task.lengths == [50, 50] and (task.time_limit, task.max_episode_steps, task.capped) == (50, 50, False)
    capped = evaluate(RandomPolicy.factory(0), ["Reacher-v5"], episodes=1, max_episode_steps=20, progress=False).tasks[0]
    assert capped.lengths == [20] and capped.capped and capped.normalized is not None


def test_plain_functions_env_factories_and_env_kwargs():
    results = evaluate(lambda obs: int(obs[2] > 0), [lambda: gym.make("CartPole-v1")], episodes=3, num_envs=2,
                       max_episode_steps=100, progress=False)
    task = results.tasks[0]
    assert task.status == "ok", task.traceback
    assert task.env_id == "CartPole-v1" and task.family == "custom"
    assert len(task.lengths) == 3 and max(task.lengths) <= 100 and task.max_episode_steps == 100
    noisy = evaluate(lambda obs: np.zeros(3, np.float32), "Hopper-v5", episodes=1, max_episode_steps=5,
                     env_kwargs={"reset_noise_scale": 0.2}, progress=False).tasks[0]
    assert noisy.status == "ok" and noisy.make_kwargs["reset_noise_scale"] == 0.2


def test_what_is_neither_task_nor_policy_is_refused_up_front():
    with pytest.raises(TypeError, match="env instance"):
        evaluate(Balancer(), [gym.make("CartPole-v1")])
    with pytest.raises(TypeError, match="neither a task id nor an env factory"):
        evaluate(Balancer(), [3])
    with pytest.raises(TypeError, match="takes 2 required arguments"):
        evaluate(lambda a, b: 0, ["CartPole-v1"])


def test_a_gato_agent_is_deterministic_when_greedy():
    gato_agent = pytest.importorskip("gato_agent")
    import torch

    torch.manual_seed(0)
    env = envs.make("Hopper-v5")
    model = gato_agent.Gato(gato_agent.GatoConfig.from_name("tiny"))
    agent = gato_agent.GatoAgent(model, env.observation_space, env.action_space, num_envs=2, temperature=0.0)
    runs = [evaluate(agent, ["Hopper-v5"], episodes=2, seed=4, num_envs=2, max_episode_steps=12, progress=False) for _ in range(2)]
    assert runs[0].tasks[0].status == "ok", runs[0].tasks[0].traceback
    assert runs[0].tasks[0].returns == runs[1].tasks[0].returns
    assert runs[0].tasks[0].lengths == runs[1].tasks[0].lengths and max(runs[0].tasks[0].lengths) <= 12


def test_a_policy_sized_for_other_batch_is_an_error():
    policy = RandomPolicy(gym.spaces.Discrete(2), num_envs=4)
    results = evaluate(policy, ["CartPole-v1"], episodes=2, num_envs=4, progress=False)
    assert results.tasks[0].status == "error" and "num_envs=4 but this task runs 2 envs" in results.tasks[0].error


def test_on_task_end_sees_the_results_so_far():
    seen = []
    evaluate(Balancer(), ["CartPole-v1", "CartPole-v1"], episodes=1, progress=False,
             on_task_end=lambda partial: seen.append([t.status for t in partial.tasks]))
    assert seen == [["ok", "not_run"], ["ok", "ok"]]


def test_babyai_reports_its_success_rate_beside_the_return():
    from rollouts.report import summary_markdown

    results = evaluate(RandomPolicy.factory(0), ["BabyAI-GoToRedBall-v0", "CartPole-v1"], episodes=6, num_envs=2,
                       progress=False)
    babyai, cartpole = results.tasks
    assert babyai.family == "babyai" and babyai.success_rate == np.mean(np.array(babyai.returns) > 0)
    assert babyai.normalized is not None and cartpole.success_rate is None
    assert f"{babyai.mean:.2f} (success {babyai.success_rate:.0%})" in summary_markdown(results)


class _RewardEnv(gym.Env):
    """A one-number env whose third step's reward is `bad` (NaN or inf)."""

    observation_space = gym.spaces.Box(-1, 1, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, bad):
        self.bad, self.t = bad, 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(1, np.float32), self.bad if self.t == 3 else 1.0, self.t >= 5, False, {}


@pytest.mark.parametrize("task,policy,message", [
    ("HalfCheetah-v5", lambda obs: np.full(6, 1e6, np.float32),
     "the policy's action in episode 0 (seed 0) at step 0: action [1000000.0, "),
    ("InvertedPendulum-v5", lambda obs: np.full(1, np.nan, np.float32),
     "the policy's action in episode 0 (seed 0) at step 0: action [nan] is outside the action space Box(-3.0, 3.0, (1,), float32)"),
    ("CartPole-v1", lambda obs: 7, "action 7 is outside the action space Discrete(2)"),
])
def test_actions_outside_the_action_space_are_the_tasks_error_as_in_gato_collect(task, policy, message):
    results = evaluate(policy, [task], episodes=2, max_episode_steps=8, progress=False)
    (bad,) = results.tasks
    assert bad.status == "error" and message in bad.error and bad.returns == [], bad.error


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_reward_is_the_tasks_error(bad):
    results = evaluate(lambda obs: 0, [lambda: _RewardEnv(bad)], episodes=2, progress=False)
    (task,) = results.tasks
    assert task.status == "error" and f"returned the reward {bad} in episode 0 (seed 0) at step 2; rewards must be finite" in task.error
    assert task.mean is None and results.aggregate.iqm is None


@pytest.mark.parametrize("kwargs,message", [
    ({"episodes": 2.0}, "episodes must be >= 1, an int; got 2.0"), ({"episodes": "3"}, "episodes must be >= 1, an int; got '3'"),
    ({"num_envs": 2.5}, "num_envs must be >= 1, an int; got 2.5"), ({"seed": -1}, "seed must be an integer from 0 to 2\\*\\*32 - 1"),
    ({"seed": 2**32}, "seed must be an integer from 0"), ({"env_kwargs": [1]}, "env_kwargs must be a dict"),
])
def test_bad_arguments_are_refused_up_front_not_as_task_errors(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        evaluate(Balancer(), ["CartPole-v1"], progress=False, **kwargs)
