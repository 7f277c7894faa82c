"""The text tokenizer: a SentencePiece model whose ids are Gato's text ids [2.1].

The paper tokenizes text with SentencePiece (32000 subwords). The one shipped here,
`assets/text/babyai.model`, is a 384-piece BPE model trained on the mission sentences of every
BabyAI level (`python -m envs.babyai corpus`), with SentencePiece's byte fallback: the 33 words of
the BabyAI grammar are one token each, and any other UTF-8 text still tokenizes, losslessly, byte by
byte. Id 0 is padding (a timestep's text slot has a fixed length), id 1 unknown; there is no
begin/end token. See docs/design.md ("Text observations and BabyAI") for the choice.

Rebuild the shipped model (deterministic for a given minigrid version):

    python -m envs.babyai corpus > missions.txt
    python -m gato_agent.text missions.txt --out gato_agent/assets/text/babyai.model
"""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

__all__ = ["TextTokenizer", "default_text_tokenizer", "train_sentencepiece", "PAD_ID"]

PAD_ID = 0  # fills a text slot after the text's last token
DEFAULT_VOCAB_SIZE = 384  # pieces of the shipped model: 256 bytes, 2 specials, BabyAI words and pieces


def _sentencepiece():
    try:
        import sentencepiece
    except ImportError:
        raise ImportError(
            "text observations need the sentencepiece package: pip install 'gato-agent[babyai]' "
            "(or pip install sentencepiece)"
        ) from None
    return sentencepiece


class TextTokenizer:
    """A SentencePiece model, held as its serialized bytes (what a checkpoint stores).

    Args:
        model_proto: the bytes of a SentencePiece `.model` file.
    """

    def __init__(self, model_proto: bytes):
        self.model_proto = bytes(model_proto)
        self._sp = _sentencepiece().SentencePieceProcessor(model_proto=self.model_proto)
        if self._sp.pad_id() != PAD_ID:
            raise ValueError(f"a Gato text tokenizer pads with id {PAD_ID}; this SentencePiece model pads with {self._sp.pad_id()}")

    @property
    def vocab_size(self) -> int:
        """Ids are in [0, vocab_size): the model's text range must hold them [2.1]."""
        return int(self._sp.get_piece_size())

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text -> its token ids (no padding, no end token)."""
        return self._sp.encode(list(texts))

    def decode(self, ids: Iterable[int]) -> str:
        """Token ids -> text; padding ids are skipped."""
        return self._sp.decode([int(i) for i in ids if int(i) != PAD_ID])

    def save(self, path: str | Path) -> None:
        """Write the `.model` file (SentencePiece's own format)."""
        Path(path).write_bytes(self.model_proto)

    @classmethod
    def load(cls, path: str | Path) -> TextTokenizer:
        """Read a SentencePiece `.model` file."""
        return cls(Path(path).read_bytes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextTokenizer) and other.model_proto == self.model_proto

    def __hash__(self) -> int:
        return hash(self.model_proto)


@functools.cache
def default_text_tokenizer() -> TextTokenizer:
    """The SentencePiece model shipped in the package (BabyAI's missions, byte fallback)."""
    return TextTokenizer((resources.files("gato_agent") / "assets" / "text" / "babyai.model").read_bytes())


def train_sentencepiece(lines: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE) -> TextTokenizer:
    """A BPE SentencePiece model of at most `vocab_size` pieces trained on `lines`.

    Byte fallback makes every UTF-8 text encodable; normalization is off and whitespace kept, so
    `decode(encode(text)) == text` for any text.
    """
    buffer = io.BytesIO()
    _sentencepiece().SentencePieceTrainer.train(
        sentence_iterator=iter(list(lines)),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        character_coverage=1.0,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        hard_vocab_limit=False,
        pad_id=PAD_ID,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return TextTokenizer(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    """Train a text tokenizer on a corpus file (one sentence a line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="text file, one sentence per line")
    parser.add_argument("--out", type=Path, required=True, help="where to write the .model file")
    parser.add_argument("--vocab-size", type=int, default=DEFAULT_VOCAB_SIZE, help="most pieces")
    args = parser.parse_args(argv)
    lines = [line for line in args.corpus.read_text().splitlines() if line]
    tokenizer = train_sentencepiece(lines, args.vocab_size)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tokenizer.save(args.out)
    print(f"{args.out}: {tokenizer.vocab_size} pieces from {len(lines)} lines")


if __name__ == "__main__":
    main()
