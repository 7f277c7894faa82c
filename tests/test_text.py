"""The text tokenizer: the shipped SentencePiece model, training one, and lossless round trips."""

from gato_agent.text import PAD_ID, TextTokenizer, default_text_tokenizer, train_sentencepiece


def test_shipped_tokenizer_has_a_token_per_babyai_word_and_fits_the_tiny_text_range():
    tok = default_text_tokenizer()
    assert tok.vocab_size == 384 <= 1024  # the tiny preset's text range: no widening needed
    mission = "pick up the yellow box and put the purple ball next to the blue box"
    ids = tok.encode([mission])[0]
    assert len(ids) == len(mission.split()) and PAD_ID not in ids
    assert tok.decode(ids + [PAD_ID] * 3) == mission


def test_any_text_round_trips_through_byte_fallback():
    tok = default_text_tokenizer()
    for text in ["Hello, wörld!  42\ttabs", "日本語", ""]:
        assert tok.decode(tok.encode([text])[0]) == text


def test_train_save_and_load(tmp_path):
    tok = train_sentencepiece(["open the red door", "go to the green key"] * 5, vocab_size=300)
    tok.save(tmp_path / "t.model")
    again = TextTokenizer.load(tmp_path / "t.model")
    assert again == tok and again.vocab_size <= 300
    assert again.decode(again.encode(["open the green door"])[0]) == "open the green door"
