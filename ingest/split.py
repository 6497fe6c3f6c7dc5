"""Cut a character range into consecutive pieces under a token budget, at the most natural boundary available.

Loaders use it for clauses and transcript turns that are too big to retrieve or embed as one unit: the pieces
tile the range exactly (no gap, no overlap), so every character stays citable and keeps its clause or speaker.
"""

from __future__ import annotations

import re

from docintel.tokens import count_tokens

# Boundaries from the most to the least natural; a piece ends just after the match.
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph (blank line)
    re.compile(r"\n"),  # line
    re.compile(r"(?<=[.!?;])[\"'”’)]*\s+"),  # sentence
    re.compile(r"\s+"),  # word
)


def split_range(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """Consecutive ``(start, end, tokens)`` pieces of ``text[start:end]``, each at most ``max_tokens`` where a
    boundary allows (a single unbreakable word may exceed it). Greedy: pieces are as large as the budget permits.
    ``tokens`` is the piece's estimate (a sum over its parts when it was assembled), so callers need not recount."""
    if end <= start:
        return []
    whole = count_tokens(text[start:end])
    if whole <= max_tokens:
        return [(start, end, whole)]
    return _split(text, start, end, max_tokens, 0)


def _split(text: str, start: int, end: int, max_tokens: int, level: int) -> list[tuple[int, int, int]]:
    if level >= len(_BOUNDARIES):
        return _split_hard(text, start, end, max_tokens)
    cuts = [m.end() for m in _BOUNDARIES[level].finditer(text, start, end) if start < m.end() < end]
    if not cuts:
        return _split(text, start, end, max_tokens, level + 1)
    atoms = list(zip([start, *cuts], [*cuts, end], strict=True))
    pieces: list[tuple[int, int, int]] = []
    cur_start, cur_tokens = start, 0
    cur_end = start
    for a_start, a_end in atoms:
        n = count_tokens(text[a_start:a_end])
        if n > max_tokens:
            if cur_end > cur_start:
                pieces.append((cur_start, cur_end, cur_tokens))
            pieces.extend(_split(text, a_start, a_end, max_tokens, level + 1))
            cur_start = cur_end = a_end
            cur_tokens = 0
            continue
        if cur_tokens + n > max_tokens and cur_end > cur_start:
            pieces.append((cur_start, cur_end, cur_tokens))
            cur_start, cur_tokens = a_start, 0
        cur_end = a_end
        cur_tokens += n
    if cur_end > cur_start:
        pieces.append((cur_start, cur_end, cur_tokens))
    return pieces


def _split_hard(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """No whitespace at all (a base64 blob, a very long token run): cut by characters, ~2 chars a token."""
    step = max(1, max_tokens * 2)
    cuts = range(start, end, step)
    return [(s, min(end, s + step), count_tokens(text[s : min(end, s + step)])) for s in cuts]
