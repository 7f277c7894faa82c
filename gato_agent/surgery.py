"""Weight surgery on checkpoints, for the build in recipes/: `python -m gato_agent.surgery COMMAND ...`.

    bf16 SRC DST                  SRC's weights in bf16, with its config, prompts and tokenizer (no
                                  trainer state), into DST; nothing happens when DST exists.
                                  --unprompted-windows: without the prompts of the tasks that act
                                  on their last timesteps (context_steps), which then act on those alone
    export-encoder CKPT FILE      CKPT's image encoder weights (images.*) in bf16 into FILE (safetensors)
    import-encoder CKPT FILE DST  CKPT with FILE's image encoder (any older naming), its tasks and
                                  prompts, into DST
    add-trunk BASE FILE DST       BASE with one more CNN trunk: its convolutions and hidden layer are
                                  FILE's trunk 0, its projection starts at zero, so that DST acts
                                  exactly as BASE until the trunk trains (gato-train --trainable
                                  'images.trunks.N.*' trains it alone)

A checkpoint is a folder, a run (its `latest`), or a Hub id, as gato-eval takes it. FILE is an
`export-encoder` file or any safetensors file of image encoder weights, old names (patches.*)
included. Bad input (a missing folder, a file that does not fit) is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gato_agent.atomic import write_atomic
from gato_agent.checkpoint import CONFIG_FILE, TRAINER_FILE, WEIGHTS_FILE, Checkpoint, load_checkpoint, resolve, save_checkpoint_whole
from gato_agent.cli import run_command
from gato_agent.images import PREFIX, trunk_weights, upgrade_state_names

__all__ = ["SurgeryError", "to_bf16", "export_encoder", "read_encoder", "import_encoder", "add_trunk", "main"]


class SurgeryError(ValueError):
    """Weights that do not fit the operation; the message names the file and what was expected."""


def to_bf16(src: str | os.PathLike, dst: str | os.PathLike, window_prompts: bool = True) -> bool:
    """Write `src`'s checkpoint into `dst` with its weights in bf16 (today's names) and every other
    file but the trainer state as it is; -> False (and nothing written) when `dst` exists.
    window_prompts=False: without the prompts of the tasks with context_steps (trained with
    `gato-train --window-prompts`), whose agents then act on their last timesteps alone."""
    dst = Path(dst)
    if dst.exists():
        return False
    folder = resolve(src)
    meta = json.loads((folder / CONFIG_FILE).read_text())
    dropped = set()
    if not window_prompts:
        for task in meta.get("tasks", {}).values():
            if task.get("context_steps") is not None and task.get("prompt"):
                dropped.add(task["prompt"])
                task["prompt"] = None
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        for path in folder.iterdir():
            if path.name == WEIGHTS_FILE:
                state = upgrade_state_names(_read(path))
                save_file({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in state.items()}, tmp / path.name)
            elif path.name == CONFIG_FILE:
                (tmp / path.name).write_text(json.dumps(meta, indent=2) + "\n")
            elif path.name != TRAINER_FILE and path.name not in dropped and path.is_file():
                shutil.copy2(path, tmp / path.name)
    except BaseException:  # a full disk, Ctrl-C: no partial folder
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.replace(tmp, dst)
    return True


def export_encoder(ckpt: str | os.PathLike, file: str | os.PathLike) -> int:
    """`ckpt`'s image encoder weights (images.*) in bf16 into the safetensors `file`; -> their count."""
    state = {k: v.to(torch.bfloat16) for k, v in load_checkpoint(ckpt).model.state_dict().items() if k.startswith(PREFIX)}
    write_atomic(Path(file), lambda tmp: save_file(state, tmp))
    return len(state)


def read_encoder(file: str | os.PathLike) -> dict[str, torch.Tensor]:
    """An image encoder file's weights in float32 under today's names; SurgeryError when it is not a
    safetensors file of image encoder weights."""
    state = upgrade_state_names(_read(Path(file)))
    other = sorted(k for k in state if not k.startswith(PREFIX))
    if not state or other:
        raise SurgeryError(f"{file} holds no image encoder weights only (images.* or patches.*)"
                           + (f": it also holds {', '.join(other[:3])}" if other else ": it is empty"))
    return {k: v.float() for k, v in state.items()}


def import_encoder(ckpt: str | os.PathLike, file: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """`ckpt` with `file`'s image encoder in place of its own, its tasks and prompts kept, written
    whole into `dst`; -> `dst`. SurgeryError when the file's encoder is not one of this model's shape."""
    source = load_checkpoint(ckpt)
    weights = read_encoder(file)
    own = {k: tuple(v.shape) for k, v in source.model.state_dict().items() if k.startswith(PREFIX)}
    got = {k: tuple(v.shape) for k, v in weights.items()}
    if got != own:
        wrong = sorted(k for k in set(own) | set(got) if own.get(k) != got.get(k))
        raise SurgeryError(f"{file} does not fit the image encoder of {source.path}: "
                           + "; ".join(f"{k} {got.get(k, 'missing')} (the model's: {own.get(k, 'none')})" for k in wrong[:3]))
    source.model.load_state_dict(weights, strict=False)
    return _save(dst, source)


def add_trunk(base: str | os.PathLike, file: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """`base` with one more CNN trunk, `file`'s trunk 0 with its projection at zero
    (`Gato.add_image_trunk`), its tasks and prompts kept, written whole into `dst`; -> `dst`."""
    source = load_checkpoint(base)
    try:
        source.model.add_image_trunk(trunk_weights(read_encoder(file), 0))
    except ValueError as e:
        raise SurgeryError(f"{file} into {source.path}: {e}") from None
    return _save(dst, source)


def _save(dst: str | os.PathLike, source: Checkpoint) -> Path:
    return save_checkpoint_whole(dst, source.model, source.tasks, text_tokenizer=source.text_tokenizer)


def _read(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return load_file(path)
    except (SafetensorError, OSError) as e:
        raise SurgeryError(f"{path} is not a readable safetensors file ({type(e).__name__}: {e})") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gato_agent.surgery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, args, text in (
        ("bf16", ("SRC", "DST"), "SRC's weights in bf16 with its config, prompts and tokenizer into DST (kept if DST exists)"),
        ("export-encoder", ("CKPT", "FILE"), "CKPT's image encoder in bf16 into FILE"),
        ("import-encoder", ("CKPT", "FILE", "DST"), "CKPT with FILE's image encoder into DST"),
        ("add-trunk", ("BASE", "FILE", "DST"), "BASE with FILE's trunk 0 as one more trunk, projection at zero, into DST"),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        for arg in args:
            sub.add_argument(arg.lower(), metavar=arg)
        if name == "bf16":
            sub.add_argument("--unprompted-windows", action="store_true",
                             help="without the prompts of the tasks with context_steps, which then act on their last timesteps alone")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; -> the exit status (0 done, 2 bad input, 130 Ctrl-C)."""
    args = _parser().parse_args(argv)

    def body() -> int:
        if args.command == "bf16":
            wrote = to_bf16(args.src, args.dst, window_prompts=not args.unprompted_windows)
            print(f"wrote {args.dst}" if wrote else f"{args.dst} exists: kept as it is")
        elif args.command == "export-encoder":
            print(f"wrote {export_encoder(args.ckpt, args.file)} image encoder tensors into {args.file}")
        elif args.command == "import-encoder":
            print(f"wrote {import_encoder(args.ckpt, args.file, args.dst)}")
        else:
            print(f"wrote {add_trunk(args.base, args.file, args.dst)}")
        return 0

    return run_command("gato-surgery", body, usage=(ValueError, FileNotFoundError))


if __name__ == "__main__":
    sys.exit(main())
