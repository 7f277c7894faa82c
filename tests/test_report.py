"""rollouts.report: the demonstrator table the README's checkpoint section is made from."""

import json

import pytest

from rollouts.report import demonstrator_counts, demonstrator_table, main


def _task(env_id, returns, normalized, status="ok", error=None):
    mean = sum(returns) / len(returns) if returns else None
    return {"env_id": env_id, "returns": returns, "mean": mean, "std": 0.0 if returns else None,
            "normalized": normalized, "status": status, "error": error}


def test_demonstrator_table_normalizes_by_the_demonstrator(tmp_path, capsys):
    run = {"tasks": [
        _task("InvertedPendulum-v5", [510.0, 520.0], 1.0),  # random 6.1, demonstrator 1000.0
        _task("Hopper-v5", [600.0], 0.3),  # random 18.4, demonstrator 3231.4
        _task("Reacher-v5", [], None, status="error", error="ValueError: boom"),
    ]}
    rows = demonstrator_table([run]).splitlines()
    ip, hopper, reacher = rows[2:]
    assert ip.split(" | ")[7] == f"{(515.0 - 6.1) / (1000.0 - 6.1):.3f}" and ip.endswith("| yes |")
    assert hopper.split(" | ")[7] == f"{(600.0 - 18.4) / (3231.4 - 18.4):.3f}" and hopper.endswith("| no |")
    assert "error: ValueError: boom" in reacher
    path = tmp_path / "results.json"
    path.write_text(json.dumps(run))
    printed = demonstrator_table([run]) + "\n" + demonstrator_counts([run])
    assert main([str(path)]) == 0 and capsys.readouterr().out == printed
    assert main([str(tmp_path)]) == 0 and capsys.readouterr().out == printed
    assert main([]) == 2
    assert main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_task_without_an_expert_reference_is_scored_by_its_demonstrator():
    bowling = _task("ALE/Bowling-v5", [176.6], None)  # random 23.1, demonstrator 176.2, no expert reference
    row = demonstrator_table([{"tasks": [bowling]}]).splitlines()[2]
    assert row.split(" | ")[5:10] == ["23.1", "-", f"{(176.6 - 23.1) / (176.2 - 23.1):.3f}", "-", "yes |"]
    assert demonstrator_counts([{"tasks": [bowling]}]).splitlines()[0] == "1 task; 1 at or above 0.5 of their demonstrator (100%)."


def test_a_demonstrator_below_the_random_policy_gives_no_score():
    press = _task("Meta-World/handle-press-v3", [613.7], None)  # random 1330.0, demonstrator 1311.9
    row = demonstrator_table([{"tasks": [press]}]).splitlines()[2]
    assert "ok: its demonstrator (1311.9) does not beat the random policy (1330)" in row
    assert demonstrator_counts([{"tasks": [press]}]).splitlines()[0] == "1 task; 0 at or above 0.5 of their demonstrator (0%)."


def test_demonstrator_table_shows_babyais_success_rate():
    task = _task("BabyAI-GoToLocal-v0", [0.9, 0.0], 0.5)
    task["success_rate"] = 0.5
    row = demonstrator_table([{"tasks": [task]}]).splitlines()[2]
    assert "| 0.450 ± 0.000 (success 50%) | 0.926 |" in row


def test_counts_take_each_task_once_and_average_meta_worlds_success():
    ip, hopper = _task("InvertedPendulum-v5", [1000.0], 1.0), _task("Hopper-v5", [600.0], 0.3)
    resampled = _task("InvertedPendulum-v5", [6.1], 0.0)  # a second run's row of the same task: not counted
    reach, push = _task("Meta-World/reach-v3", [4800.0], 1.0), _task("Meta-World/push-v3", [30.0], 0.0)
    reach["success_rate"], push["success_rate"] = 1.0, 0.5
    counts = demonstrator_counts([{"tasks": [ip, hopper, reach, push]}, {"tasks": [resampled]}]).splitlines()
    assert counts[0] == "4 tasks; 2 at or above 0.5 of their demonstrator (50%)."
    assert "| mujoco | 2 | 1 | - |" in counts and "| metaworld | 2 | 1 | 75% |" in counts
    unrun = _task("Meta-World/door-open-v3", [], None, status="not_run")
    counts = demonstrator_counts([{"tasks": [reach, push, unrun]}]).splitlines()
    assert counts[0] == "3 tasks; 1 at or above 0.5 of their demonstrator (33%)."
    assert "| metaworld | 3 | 1 | 75% (2 of 3 tasks) |" in counts
    assert "| not_run: no episode finished |" in demonstrator_table([{"tasks": [unrun]}])


def test_demonstrator_table_says_how_a_gatos_actions_were_picked():
    task = _task("Hopper-v5", [600.0], 0.3)
    greedy = {"checkpoint": "embedded", "args": {"temperature": 0.0}, "tasks": [task]}
    sampled = {"checkpoint": "runs/x", "args": {"temperature": 1.0}, "tasks": [task]}
    expert = {"checkpoint": None, "args": {"temperature": 0.0}, "tasks": [task]}
    rows = demonstrator_table([greedy, sampled, expert]).splitlines()
    assert rows[0].startswith("| task | actions | episodes |")
    assert [row.split(" | ")[1] for row in rows[2:]] == ["greedy", "T=1", "-"]


def _results(tasks):
    from rollouts.evaluate import EvalResults, aggregate

    return EvalResults(seed=0, episodes=2, num_envs=1, max_episode_steps=20, tasks=tasks, aggregate=aggregate(tasks, 200))


def test_summary_lists_rliables_aggregates_and_flags_capped_tasks(tmp_path):
    from rollouts.evaluate import TaskResult
    from rollouts.report import write_report

    tasks = [
        TaskResult("Hopper-v5", "ok", returns=[20.0, 30.0], normalized=0.1, normalized_episodes=[0.0, 0.2],
                   time_limit=1000, max_episode_steps=20, capped=True),
        TaskResult("Reacher-v5", "ok", returns=[-9.0, -8.0], normalized=0.9, normalized_episodes=[0.9, 0.9],
                   time_limit=50, max_episode_steps=20, capped=True),
        TaskResult("CartPole-v1", "ok", returns=[15.0, 17.0], time_limit=500, max_episode_steps=20, capped=True),
    ]
    paths = write_report(_results(tasks), tmp_path, {"policy": "random"})
    text = paths["summary"].read_text()
    assert "| 20 (capped; own 1000) |" in text and "0.100 * |" in text
    assert "2 episodes per task, 1 env, seed 0" in text
    for name in ("iqm", "mean", "median", "optimality gap"):
        assert f"| {name} |" in text
    data = json.loads(paths["results"].read_text())
    assert {"iqm_ci95", "median_ci95", "optimality_gap_ci95"} <= data["aggregate"].keys()
    assert data["tasks"][0]["capped"] is True and data["tasks"][0]["time_limit"] == 1000


def test_summary_says_whether_a_gato_was_greedy_or_sampled(tmp_path):
    from rollouts.evaluate import TaskResult
    from rollouts.report import actions_phrase, write_report

    tasks = [TaskResult("CartPole-v1", "ok", returns=[15.0, 17.0], time_limit=500)]
    assert actions_phrase({"policy": "expert", "checkpoint": None, "args": {"temperature": 0.0}}) == ""
    for temperature, words in ((0.0, "greedy actions"), (0.5, "actions sampled at temperature 0.5")):
        meta = {"policy": "gato", "checkpoint": "embedded", "args": {"temperature": temperature}}
        summary = write_report(_results(tasks), tmp_path / str(temperature), meta)["summary"].read_text()
        assert f"Policy: `gato`, checkpoint `embedded`, {words}\n" in summary
        assert actions_phrase(meta) == words  # the phrase scores.png's title ends with


def test_results_json_is_strict_json_whatever_numbers_the_run_holds(tmp_path):
    from rollouts.evaluate import TaskResult
    from rollouts.report import write_report

    inf_task = TaskResult(env_id="Odd-v0", status="ok", returns=[float("inf"), 1.0], mean=float("inf"), std=float("nan"))
    write_report(_results([inf_task]), tmp_path, {"note": float("-inf")})

    def refuse(constant):
        raise ValueError(f"results.json holds the non-standard constant {constant}")

    data = json.loads((tmp_path / "results.json").read_text(), parse_constant=refuse)
    task = data["tasks"][0]
    assert task["returns"] == [None, 1.0] and task["mean"] is None and task["std"] is None and data["note"] is None
