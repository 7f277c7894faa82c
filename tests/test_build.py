"""recipes/build.sh and its stages 15-16, recipes/generalist.sh, read without running them (their stages
take days on a CPU): every file a stage reads exists in the repository or is written by an earlier
stage, every command's arguments pass its CLI's own parser, and every file in recipes/ is used by
the build."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cli_parse import cli_error

from rollouts.provenance import Step, option, read_build

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("recipes/build.sh", "recipes/generalist.sh")  # stages 1-14, then stages 15-16 (build.sh runs it last)
SURGERY = {"bf16": (1, 1), "export-encoder": (1, 1), "import-encoder": (2, 1), "add-trunk": (2, 1)}  # (reads, writes)


def _checkpoints(recipe: dict, stop_after: int | None) -> list[str]:
    """The step-* folders a gato-train run of `recipe` leaves (every checkpoint_every, the last, pruned)."""
    last = min(stop_after or recipe["steps"], recipe["steps"])
    steps = sorted({*range(recipe["checkpoint_every"], last + 1, recipe["checkpoint_every"]), last})
    kept = steps[-recipe.get("keep_checkpoints", 2):]
    return [f"{recipe['out']}/step-{s:07d}" for s in kept]


def reads_writes(step: Step, script: str = SCRIPTS[0]) -> tuple[list[str], list[str]]:
    """The paths a stage of the build reads and writes; AssertionError for a verb it does not know."""
    args = step.args
    if step.verb == "collect":
        policy = option(args, "--policy")
        return [p.removeprefix("checkpoint:") for p in policy if p.startswith("checkpoint:")], option(args, "--out")
    if step.verb == "train":
        recipe = json.loads((ROOT / args[0]).read_text())
        stop = option(args, "--stop-after")
        return ([args[0], *([recipe["init"]] if recipe.get("init") else []), *recipe["dataset"]],
                _checkpoints(recipe, int(stop[0]) if stop else None))
    if step.verb == "surgery":
        reads, writes = SURGERY[args[0]]
        return args[1:1 + reads], args[1 + reads:1 + reads + writes]
    if step.verb == "pretrain":
        return option(args, "--checkpoint") + option(args, "--dataset") + option(args, "--heldout"), option(args, "--save-init")
    if step.verb == "soup":
        return args[:args.index("--weight")], option(args, "--out")
    if step.verb == "evaluate":
        return option(args, "--checkpoint"), [f"{args[0]}/results.json"]
    if step.verb == "rollouts.report":
        return args, [step.tee] if step.tee else []
    if step.verb == "ship":
        return [args[0]], [args[1]]
    if step.verb == "rollouts.provenance":
        return option(args, "--build") + option(args, "--results"), option(args, "--out")
    if step.verb == "bash":  # the next script of the build, read as SCRIPTS' next entry
        return args, []
    raise AssertionError(f"{script}:{step.line}: tests/test_build.py does not know the verb {step.verb!r}")


def _cli(step: Step) -> tuple[str, list[str]] | None:
    """The CLI and arguments a stage runs, for its own parser (None: not a CLI's command line)."""
    if step.verb == "collect":
        return "gato-collect", ["--no-progress", *step.args]
    if step.verb == "train":
        return "gato-train", ["--recipe", *step.args]
    if step.verb == "evaluate":
        return "gato-eval", [*step.args[1:], "--num-envs", "50", "--no-video", "--no-progress", "--out", step.args[0]]
    if step.verb == "pretrain":
        return "rollouts.pretrain_encoder", step.args
    if step.verb in ("soup", "rollouts.report", "rollouts.provenance"):
        return ("rollouts.soup" if step.verb == "soup" else step.verb), step.args
    return None


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, Step]]:
    """Every command of the build, in order: (its script, the command)."""
    return [(script, step) for script in SCRIPTS for step in read_build(ROOT / script)]


def test_every_file_a_stage_reads_exists_or_an_earlier_stage_writes_it(steps):
    """A file written inside an `if [ ! -e WEIGHTS ]; then` block (skipped where the weights are
    committed) counts only for readers in that same block."""
    written: dict[str, str | None] = {}  # path -> the block that writes it
    for script, step in steps:
        reads, writes = reads_writes(step, script)
        for path in reads:
            made = any((path == w or path.startswith(w + "/")) and block in (None, step.block) for w, block in written.items())
            assert made or (ROOT / path).exists(), \
                f"{script}:{step.line}: {step.verb} reads {path}, which no earlier stage that runs with it writes"
            assert not path.startswith("gato_agent/assets/"), f"{script}:{step.line}: the build reads the asset it writes ({path})"
        written.update(dict.fromkeys(writes, step.block))
    assert "gato_agent/assets/default" in written and "gato_agent/assets/default/provenance.json" in written


def test_the_committed_weights_are_remade_by_the_stage_that_made_them(steps):
    """Each file of recipes/weights/ is written by a stage when it is missing, and read later."""
    for weights in sorted((ROOT / "recipes/weights").iterdir()):
        path = f"recipes/weights/{weights.name}"
        writers = [i for i, (script, s) in enumerate(steps) if path in reads_writes(s, script)[1]]
        readers = [i for i, (script, s) in enumerate(steps) if path in reads_writes(s, script)[0]]
        assert writers and readers and min(writers) < min(readers), (path, writers, readers)


def test_every_command_passes_its_clis_parser(steps):
    for script, step in steps:
        if (cli := _cli(step)) is not None:
            error = cli_error(*cli)
            assert error is None, f"{script}:{step.line}: {cli[0]} rejects its arguments: {error}"


def test_every_file_in_recipes_is_used_by_the_build(steps):
    named = {path for script, step in steps for path in reads_writes(step, script)[0] + [*step.args]}
    scripts = {Path(script).name for script in SCRIPTS}
    unused = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "recipes").iterdir())
              if p.name not in scripts and str(p.relative_to(ROOT)) not in named and p.name != "weights"]
    unused += [f"recipes/weights/{p.name}" for p in sorted((ROOT / "recipes/weights").iterdir())
               if f"recipes/weights/{p.name}" not in named]
    assert not unused, f"files in recipes/ that the build ({', '.join(SCRIPTS)}) does not use: {unused}"


def test_the_reader_joins_lines_expands_variables_and_skips_functions(tmp_path):
    script = tmp_path / "build.sh"
    script.write_text('set -e\nf() {\n  collect --out nope\n}\nRUN=runs/a\n# a comment\n'
                      '[ -e $RUN/x ] || OMP_NUM_THREADS=2 train \\\n    r.json --stop-after 5 &\n'
                      '"$BIN/python" -m rollouts.report $RUN/r.json | tee $RUN/t.md\n'
                      'if [ ! -e w/m ]; then\n    train q.json\nfi\ntrain z.json\n')
    assert read_build(script) == [Step(7, "train", ["r.json", "--stop-after", "5"], guard="runs/a/x"),
                                  Step(9, "rollouts.report", ["runs/a/r.json"], tee="runs/a/t.md"),
                                  Step(11, "train", ["q.json"], block="w/m"), Step(13, "train", ["z.json"])]


def test_the_reader_unrolls_loops_over_a_variables_words(tmp_path):
    script = tmp_path / "build.sh"
    script.write_text('TASKS="reach \\\n    push"\nOUT=data/r1\nfor task in $TASKS; do\n'
                      '    collect --env M/$task-v3 \\\n        --out $OUT/mw-${task}-dagger\ndone\ntrain z.json\n')
    assert read_build(script) == [Step(5, "collect", ["--env", "M/reach-v3", "--out", "data/r1/mw-reach-dagger"]),
                                  Step(5, "collect", ["--env", "M/push-v3", "--out", "data/r1/mw-push-dagger"]),
                                  Step(8, "train", ["z.json"])]
    script.write_text("for task in a b; do\n    collect --out $task\n")
    with pytest.raises(ValueError, match="has no `done`"):
        read_build(script)


def test_bash_runs_the_collect_commands_the_reader_reads(tmp_path):
    """Stages 15-16 run by bash with echoing stand-ins for its programs: the gato-collect commands it
    runs, loops unrolled, are the reader's, in order."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("gato-collect", "gato-train", "gato-eval", "python"):
        (fake / name).write_text(f'#!/bin/sh\necho {name} "$@"\n')
        (fake / name).chmod(0o755)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes/weights").symlink_to(ROOT / "recipes/weights")  # stage 16 ships the committed weights
    for recipe in (ROOT / "recipes").glob("*.json"):
        shutil.copy(recipe, tmp_path / "recipes")
    script = (ROOT / SCRIPTS[1]).read_text()
    assert "\nBIN=.venv/bin\n" in script
    (tmp_path / SCRIPTS[1]).write_text(script.replace("\nBIN=.venv/bin\n", f"\nBIN={fake}\n"))
    ran = subprocess.run(["bash", str(tmp_path / SCRIPTS[1])], capture_output=True, text=True, check=True).stdout
    collected = [line.split()[1:] for line in ran.splitlines() if line.startswith("gato-collect ")]
    read = [["--no-progress", *step.args] for step in read_build(ROOT / SCRIPTS[1]) if step.verb == "collect"]
    assert len(read) > 300 and collected == read
