"""What made a shipped checkpoint: provenance.json, written by the build's last stage.

    python -m rollouts.provenance --build recipes/build.sh --out gato_agent/assets/default/provenance.json \\
        --results runs/atari-trunks/eval-breakout/results.json runs/atari-trunks/eval-pong/results.json

provenance.json names the build script, the commit it ran from, the run folder shipped, each dataset the script collects
(its gato-collect command as the script runs it, and its episodes and steps as found on disk, null
where the dataset is absent) and each evaluation its README table came from (the results.json file
and, per task, the episodes, seeds, mean and std). `read_build` is the build script's reader, shared
with tests/test_build.py: its logical lines (continuations joined, functions and comments skipped,
top-level variables expanded, `for WORD in WORDS; do ... done` loops unrolled) as `Step`s.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gato_agent.atomic import write_atomic

__all__ = ["Step", "read_build", "dataset_commands", "dataset_size", "results_summary", "provenance", "main"]

COLLECT = ["gato-collect", "--no-progress"]  # what the build's `collect` verb runs, before its arguments
_FUNCTION = re.compile(r"^\w+\(\)\s*\{")
_ONE_LINE = re.compile(r"\}\s*(#.*)?$")  # a function defined on its own line ends so
_ASSIGN = re.compile(r'^([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)$')
_FOR = re.compile(r"^for ([a-z_][a-z0-9_]*) in (.+); do$")  # a loop over words, unrolled; not nested
_ENV_PREFIX = re.compile(r"^[A-Z_][A-Z0-9_]*=\S+\s+")
_GUARD = re.compile(r"^\[ (?:! )?-e (\S+) \] (?:\|\||&&) ")
_VAR = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")
_BLOCK = re.compile(r"^if \[ ! -e (\S+) \]; then$")  # a block of commands skipped where the path exists
_CONTROL = ("set ", "cd ", "export ", "if ", "fi", "else", "wait")


@dataclass(frozen=True)
class Step:
    """One command of a build script: where it is, its verb and its arguments."""

    line: int  # 1-based line where the command starts
    verb: str  # the build's verb (`collect`, `train`, ...), or the module of `python -m MODULE`
    args: list[str]  # the arguments after the verb, variables expanded
    guard: str | None = None  # the path of a `[ -e PATH ] ||` guard in front of it, if any
    tee: str | None = None  # the file of a trailing `| tee FILE`, if any
    block: str | None = None  # the path of an enclosing `if [ ! -e PATH ]; then` block (skipped where it exists)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each line, continuation lines joined."""
    lines, start, parts = [], 0, []
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        parts.append(raw.rstrip())
        if not parts[-1].endswith("\\"):
            lines.append((start, " ".join(p.rstrip("\\").strip() for p in parts)))
            parts = []
    return lines


def read_build(path: str | Path) -> list[Step]:
    """The commands of a build script, in order. ValueError names a line it cannot read."""
    steps: list[Step] = []
    variables: dict[str, str] = {}
    in_function = False
    block = None
    loop: tuple[str, list[str], list[tuple[int, str]]] | None = None  # (variable, words, body lines)
    for number, line in _logical_lines(Path(path).read_text()):
        if in_function:
            in_function = line != "}"
            continue
        if loop is not None:
            if line != "done":
                loop[2].append((number, line))
                continue
            name, words, body = loop
            word_var = re.compile(rf"\$\{{?{name}\b\}}?")
            for word in words:
                for body_number, body_line in body:
                    _read_command(path, body_number, word_var.sub(word, body_line), variables, block, steps)
            loop = None
            continue
        if opened := _BLOCK.match(line):
            block = opened.group(1)
        elif line == "fi":
            block = None
        if not line or line.startswith("#") or line.startswith(_CONTROL):
            continue
        if _FUNCTION.match(line):
            in_function = not _ONE_LINE.search(line)
            continue
        if opened := _FOR.match(line):
            loop = opened.group(1), shlex.split(_expand(opened.group(2), variables)), []
            continue
        _read_command(path, number, line, variables, block, steps)
    if loop is not None:
        raise ValueError(f"{path}: a `for {loop[0]} in ...; do` loop has no `done`")
    return steps


def _expand(line: str, variables: dict[str, str]) -> str:
    """`line` with the script's variables ($NAME, ${NAME}) replaced by their values."""
    return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), line)


def _read_command(path: str | Path, number: int, line: str, variables: dict[str, str], block: str | None,
                  steps: list[Step]) -> None:
    """Read one command line: record a variable it assigns, or append its `Step` to `steps`."""
    if not line or line.startswith("#"):
        return
    expanded = _expand(line, variables)
    if assignment := _ASSIGN.match(expanded):
        variables[assignment.group(1)] = assignment.group(2).strip('"')
        return
    guard = None
    if match := _GUARD.match(expanded):
        guard, expanded = match.group(1), expanded[match.end():]
    expanded = _ENV_PREFIX.sub("", expanded).removesuffix("&").strip()
    command, _, tee = expanded.partition("| tee ")
    try:
        words = shlex.split(command, comments=True)
    except ValueError as e:
        raise ValueError(f"{path}:{number}: {e}") from None
    if words[0].endswith("/python") and words[1:2] == ["-m"]:
        words = words[2:]
    steps.append(Step(number, words[0], words[1:], guard, tee.strip() or None, block))


def option(args: list[str], name: str) -> list[str]:
    """Every value of `name` in args (`--dataset A --dataset B` -> [A, B]; `--results A B` -> [A, B])."""
    values, taking = [], False
    for word in args:
        if word.startswith("--"):
            taking = word == name
        elif taking:
            values.append(word)
    return values


def dataset_commands(steps: list[Step]) -> dict[str, str]:
    """Each dataset the build collects -> the gato-collect command that makes it."""
    return {option(s.args, "--out")[0]: shlex.join(COLLECT + s.args) for s in steps if s.verb == "collect"}


def dataset_size(path: str | Path) -> dict[str, int | None]:
    """Episodes and steps of a Minari dataset folder, from its metadata (None where it is absent)."""
    meta = Path(path) / "data" / "metadata.json"
    found = json.loads(meta.read_text()) if meta.is_file() else {}
    return {"episodes": found.get("total_episodes"), "steps": found.get("total_steps")}


def results_summary(path: str | Path) -> dict[str, Any]:
    """A gato-eval results.json as its file, decoding and per-task episodes, seeds, mean and std."""
    run = json.loads(Path(path).read_text())
    temperature = (run.get("args") or {}).get("temperature")
    tasks = [{"task": t["env_id"], "episodes": len(t["seeds"]),
              "seeds": f"{min(t['seeds'])}-{max(t['seeds'])}" if t["seeds"] else None,
              "mean": t["mean"], "std": t["std"], "success_rate": t.get("success_rate")} for t in run["tasks"]]
    return {"file": str(path), "temperature": temperature, "tasks": tasks, "source": str(path)}


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def provenance(build: str | Path, results: list[str | Path], commit: str | None,
               checkpoint: str | None = None) -> dict[str, Any]:
    """The provenance record of `checkpoint` (the run folder shipped), made by `build` at `commit`
    and evaluated into `results`."""
    datasets = [{"path": out, "command": command, **dataset_size(out), "source": f"{out}/data/metadata.json"}
                for out, command in dataset_commands(read_build(build)).items()]
    return {"build": str(build), "commit": commit, "checkpoint": checkpoint, "datasets": datasets, "results": [results_summary(r) for r in results]}


def main(argv: list[str] | None = None) -> int:
    """Write provenance.json; exit 2 when the build script or a results.json is missing."""
    parser = argparse.ArgumentParser(prog="python -m rollouts.provenance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="the build script that made the checkpoint")
    parser.add_argument("--out", required=True, help="the provenance.json to write")
    parser.add_argument("--results", nargs="*", default=[], help="the gato-eval results.json of its table")
    parser.add_argument("--commit", default=None, help="the commit it was built from (default: git rev-parse HEAD)")
    parser.add_argument("--checkpoint", default=None, help="the run folder whose weights were shipped")
    args = parser.parse_args(argv)
    for path in [args.build, *args.results]:
        if not Path(path).is_file():
            parser.error(f"{path} does not exist: --build takes the build script, --results gato-eval's results.json files")
    record = provenance(args.build, args.results, args.commit or _git_commit(), args.checkpoint)
    write_atomic(args.out, json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}: {len(record['datasets'])} datasets, {len(record['results'])} evaluations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
