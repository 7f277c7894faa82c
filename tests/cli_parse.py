"""Parse a command line with the CLI's own parser, without running it (tests/test_docs.py and
tests/test_build.py): `cli_error(cli, args)` is None when the parser accepts the arguments, else
the parser's message."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import re
from pathlib import Path

import tyro


class _Parsed(Exception):
    """Raised in place of running a command whose arguments parsed."""


def _tyro(cls: type, args: list[str], default=None) -> str | None:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            tyro.cli(cls, args=args, default=default)
    except SystemExit as e:
        return f"exit {e.code}: {_plain(err.getvalue())}"
    return None


def _plain(text: str) -> str:
    """A parser's error box as one line of words (tyro draws boxes)."""
    return " ".join(re.sub(r"[\u2500-\u257f]+|-{4,}", " ", text).split())[:500]


def _train(args: list[str]) -> str | None:
    from gato_agent.train_config import TrainConfig

    default = TrainConfig()
    if "--recipe" in args:  # as gato-train does: the recipe gives the defaults (when the file exists)
        i = args.index("--recipe")
        if Path(args[i + 1]).is_file():
            default = TrainConfig.from_json(args[i + 1], recipe=Path(args[i + 1]))
        args = args[:i] + args[i + 2:]
    return _tyro(TrainConfig, args, default)


def cli_error(cli: str, args: list[str]) -> str | None:
    """cli: gato-eval, gato-collect, gato-train or a module run with `python -m`."""
    cli = {"rollouts.eval": "gato-eval", "rollouts.collect": "gato-collect", "rollouts.train": "gato-train"}.get(cli, cli)
    if cli == "gato-train":
        return _train(args)
    if cli == "gato-eval":
        from rollouts.eval import EvalArgs
        return _tyro(EvalArgs, args)
    if cli == "gato-collect":
        from rollouts.collect import CollectConfig
        return _tyro(CollectConfig, args)
    module = importlib.import_module(cli)
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, *a, **k):
        original(self, *a, **k)
        raise _Parsed

    err = io.StringIO()
    argparse.ArgumentParser.parse_args = parse_then_stop
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            module.main(args)
    except _Parsed:
        return None
    except SystemExit as e:
        return f"exit {e.code}: {_plain(err.getvalue())}"
    finally:
        argparse.ArgumentParser.parse_args = original
    return f"{cli}.main returned without parsing its arguments with argparse"
