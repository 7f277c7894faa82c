"""The docs say what the code does: every gato-eval, gato-collect, gato-train and `python -m
rollouts.X` line of a ```bash block in README.md, docs/*.md, benchmarks/README.md and experiments/,
and of the CLIs' own --help texts, passes its CLI's own parser (not run), and every relative link
and #heading anchor of those files resolves."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from cli_parse import cli_error

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks/README.md",
        ROOT / "experiments/README.md", ROOT / "experiments/diary.md"]
CLIS = ("gato-eval", "gato-collect", "gato-train")
# Placeholders an example uses for what the reader fills in, and the value parsed in their place
# (a trailing " ..." means "and more of the same", and is dropped).
PLACEHOLDERS = {"--dataset ...": "--dataset data/example", "HOST:": "localhost:"}
# The modules whose docstring (the top of their --help) shows command lines.
HELP_MODULES = ["rollouts.eval", "rollouts.collect", "rollouts.train", "gato_agent.train", "rollouts.soup",
                "rollouts.imitation", "rollouts.pretrain_encoder", "rollouts.provenance"]


def fill(line: str) -> str:
    """An example line with its placeholders filled in."""
    for placeholder, value in PLACEHOLDERS.items():
        line = line.replace(placeholder, value)
    return line.removesuffix(" ...")


def shell_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, logical line) of each ```bash block, continuations joined, comments dropped."""
    out, in_block, joined, start = [], False, "", 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith("```"):
            in_block = line.strip() == "```bash" and not in_block
            continue
        if not in_block or (not joined and line.lstrip().startswith("#")):  # a comment line
            continue
        start = start or number
        joined += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            out.append((start, joined.split(" #")[0].strip()))
            joined, start = "", 0
    return out


def invocations(line: str) -> list[tuple[str, list[str]]]:
    """The CLI commands of one shell line: (gato-eval | gato-collect | gato-train | rollouts.X, args)."""
    found = []
    for command in re.split(r"&&|\|\||;|\|", line):
        words = shlex.split(command)
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):  # VAR=value prefixes
            words = words[1:]
        if not words:
            continue
        name = Path(words[0]).name
        if name in CLIS:
            found.append((name, words[1:]))
        elif (name.startswith("python") or name == "torchrun") and "-m" in words:  # python -m, torchrun ... -m
            module = words.index("-m") + 1
            if words[module].startswith("rollouts."):
                found.append((words[module], words[module + 1:]))
    return found


def examples() -> list[tuple[str, int, str, list[str]]]:
    cases = []
    for path in DOCS:
        for number, line in shell_lines(path):
            for cli, args in invocations(fill(line)):
                cases.append((str(path.relative_to(ROOT)), number, cli, args))
    return cases


@pytest.mark.parametrize("where,number,cli,args", examples(), ids=lambda v: v if isinstance(v, (str, int)) else "")
def test_every_shell_example_passes_its_clis_parser(where, number, cli, args):
    error = cli_error(cli, args)
    assert error is None, f"{where}:{number}: {cli} rejects `{shlex.join(args)}`: {error}"


def help_examples() -> list[tuple[str, str, list[str]]]:
    """(module, cli, args) of each command line in a CLI module's docstring, continuations joined."""
    import importlib

    cases = []
    for name in HELP_MODULES:
        text = re.sub(r"\\\n\s*", " ", importlib.import_module(name).__doc__ or "")
        for line in text.splitlines():
            if re.match(r"\s*(gato-(eval|collect|train) |python -m rollouts\.|torchrun )", line):
                cases += [(name, cli, args) for cli, args in invocations(fill(line.split(" #")[0].strip()))]
    return cases


@pytest.mark.parametrize("module,cli,args", help_examples(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_help_example_passes_its_clis_parser(module, cli, args):
    error = cli_error(cli, args)
    assert error is None, f"{module}'s --help: {cli} rejects `{shlex.join(args)}`: {error}"


def test_the_examples_are_found():
    clis = {cli for _, _, cli, _ in examples()}
    assert {"gato-eval", "gato-collect", "gato-train"} <= clis and any(c.startswith("rollouts.") for c in clis)
    assert len(help_examples()) >= len(HELP_MODULES)


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a markdown file: its headings' slugs and its explicit <a id=...>."""
    text = path.read_text()
    found, seen = set(re.findall(r'<a id="([^"]+)"', text)), {}
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not (match := re.match(r"^#{1,6} (.+)$", line)):
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(path):
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target} (no such heading in {linked.name})")
    assert not broken, f"{path.relative_to(ROOT)}: {broken}"
