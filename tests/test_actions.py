"""One action check for both harnesses: gato-eval and gato-collect refuse the same bad action alike
(exit 1, found mid-run; gato-collect keeps the episodes recorded before it)."""

import pytest

from rollouts.collect import main as collect_main
from rollouts.eval import main as eval_main


@pytest.mark.parametrize("command", ["eval", "collect"])
def test_an_action_outside_the_space_is_exit_1_in_both_commands(command, tmp_path, monkeypatch, capsys):
    (tmp_path / "huge_policies.py").write_text("import numpy as np\n\ndef huge(obs):\n    return np.full(6, 1e6, np.float32)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    main, more = {"eval": (eval_main, ["--no-video"]), "collect": (collect_main, [])}[command]
    code = main(["--env", "HalfCheetah-v5", "--policy", "huge_policies:huge", "--episodes", "1", "--max-episode-steps", "8",
                 "--no-progress", "--out", str(tmp_path / "out"), *more])
    err = capsys.readouterr().err
    assert code == 1 and "episode 0 (seed 0)" in err and "action [1000000.0, 1000000.0" in err, err
    assert "is outside the action space Box(-1.0, 1.0, (6,), float32)" in err
