"""rollouts.plots: scores.png draws every task, with or without reference scores."""

import matplotlib.image as mpimg

from rollouts.evaluate import EvalResults, TaskResult, aggregate
from rollouts.plots import plot_scores, scores_figure


def _results(tasks):
    return EvalResults(seed=0, episodes=3, num_envs=1, max_episode_steps=None, tasks=tasks, aggregate=aggregate(tasks, 100))


def test_tasks_with_and_without_reference_scores_and_aggregates(tmp_path):
    tasks = [
        TaskResult("Hopper-v5", "ok", returns=[1.0, 2.0, 3.0], normalized_episodes=[0.1, 0.2, 0.4]),
        TaskResult("Reacher-v5", "ok", returns=[1.0, 2.0, 3.0], normalized_episodes=[0.8, 0.9, 1.1], capped=True),
        TaskResult("CartPole-v1", "ok", returns=[10.0, 30.0, 20.0]),
        TaskResult("Ant-v5", "error"),
    ]
    path = plot_scores(_results(tasks), tmp_path / "scores.png")
    wide = mpimg.imread(path).shape
    only_raw = plot_scores(_results([tasks[2]]), tmp_path / "raw.png")
    narrow = mpimg.imread(only_raw).shape
    assert wide[1] > narrow[1] > 400  # three panels against one; a raw-only run is drawn, not left empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.png", "scores.png"]


def test_the_title_says_how_actions_were_picked():
    tasks = [TaskResult("CartPole-v1", "ok", returns=[10.0, 30.0])]
    sampled = scores_figure(_results(tasks), "actions sampled at temperature 1").get_suptitle()
    plain = scores_figure(_results(tasks)).get_suptitle()
    assert sampled == "gato-eval: 3 episodes per task, seed 0, actions sampled at temperature 1"
    assert plain == "gato-eval: 3 episodes per task, seed 0"
