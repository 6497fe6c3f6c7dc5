"""The token budget: prompt overheads, windows, margins and the one ``fits()`` every step uses.

The router estimates a prompt before it exists (from corpus statistics and the overheads below); context assembly
counts the prompt it built; the pipeline asks the backend for an exact count near the window; the evaluation
truncates an always-full baseline. All four ask the same question — does this many tokens, times the profile's
margin (cl100k under-counts most models), plus the answer reserve, fit the window or the caller's limit — here.
"""

from __future__ import annotations

import math

from docintel.profiles import ModelProfile

# Prompt overheads beyond the corpus text, for estimates made before a prompt exists (context.py builds the real
# thing and counts it).
INSTRUCTIONS_TOKENS = 450
LABEL_TOKENS_PER_SEGMENT = 4  # "[123] " and a newline
LABEL_TOKENS = 3  # "[123] " as cl100k counts it, about: what context assembly adds per labelled piece
DOC_HEADER_TOKENS = 16  # <doc path="..."> ... </doc>
CORPUS_MAP_TOKENS = 2000
PASSAGE_TOKENS = 4000  # salient passages quoted again after the cache breakpoint
QUESTION_TOKENS = 80
EXPECTED_OUTPUT_TOKENS = 500  # for cost estimates; the fit check reserves profile.max_output_tokens
PASSAGES_K = 8

# Above this share of the window the estimate (cl100k x margin) is not trusted: the backend counts exactly first.
NEAR_WINDOW = 0.9


def window(profile: ModelProfile) -> int:
    """The model's window in tokens (the effective window when the window is learned only at run time)."""
    return profile.context_window or profile.effective_window


def ceiling(profile: ModelProfile, limit: int | None = None) -> int:
    """The window, or the caller's ``limit`` when that is smaller."""
    return window(profile) if limit is None else min(limit, window(profile))


def needed(tokens: int, profile: ModelProfile, *, reserve: bool = True, exact: bool = False) -> int:
    """Tokens a prompt of ``tokens`` (estimated, unless ``exact``) really takes, with the answer reserve."""
    counted = tokens if exact else math.ceil(tokens * profile.token_margin)
    return counted + (profile.max_output_tokens if reserve else 0)


def fits(
    tokens: int, profile: ModelProfile, *, limit: int | None = None, reserve: bool = True, exact: bool = False
) -> bool:
    """Whether ``tokens`` of prompt (x margin unless ``exact``) plus the answer reserve fit the window or ``limit``.

    ``reserve=False`` when ``limit`` caps the prompt alone (a caller's prompt budget, a packed context)."""
    return needed(tokens, profile, reserve=reserve, exact=exact) <= ceiling(profile, limit)


def prompt_capacity(profile: ModelProfile, limit: int | None = None) -> int:
    """The most estimated prompt tokens that still fit: the inverse of ``fits`` (answer reserve and margin out)."""
    return int((ceiling(profile, limit) - profile.max_output_tokens) / profile.token_margin)


def near_window(tokens: int, profile: ModelProfile, *, reserve: int | None = None) -> bool:
    """True when an estimate (x margin, plus ``reserve`` or the profile's answer reserve) is too close to the
    window to trust: the backend should count exactly."""
    w = profile.context_window
    answer = profile.max_output_tokens if reserve is None else reserve
    return bool(w) and math.ceil(tokens * profile.token_margin) + answer >= NEAR_WINDOW * w


def group_token_limit(profile: ModelProfile, limit: int | None = None) -> int:
    """Corpus tokens one map-reduce group may hold: the effective window (or ``limit``) less the answer reserve,
    the margin, and the map prompt's instructions and question."""
    top = ceiling(profile, limit)
    usable = min(profile.effective_window or top, top) - profile.max_output_tokens
    return max(100, int(usable / profile.token_margin) - INSTRUCTIONS_TOKENS - QUESTION_TOKENS)


def corpus_text_tokens(tokens: int, segments: int, documents: int) -> int:
    """The corpus as a prompt lays it out: its text, a label per segment and a header per document."""
    return tokens + segments * LABEL_TOKENS_PER_SEGMENT + documents * DOC_HEADER_TOKENS


def full_prompt_tokens(
    tokens: int, segments: int, documents: int, chunk_tokens: float, *, with_map: bool = True
) -> tuple[int, int]:
    """(prefix, suffix) tokens of a full-context prompt: instructions, corpus map and corpus before the cache
    breakpoint; salient passages and the question after it."""
    corpus_map = min(CORPUS_MAP_TOKENS, max(200, tokens // 20)) if with_map else 0
    passages = min(PASSAGE_TOKENS, int(PASSAGES_K * chunk_tokens), tokens)
    prefix = INSTRUCTIONS_TOKENS + corpus_map + corpus_text_tokens(tokens, segments, documents)
    return prefix, passages + QUESTION_TOKENS


def retrieve_prompt_tokens(tokens: int, chunk_tokens: float, k: int) -> int:
    """Tokens of a retrieve prompt with ``k`` chunks of about ``chunk_tokens`` each."""
    retrieved = min(tokens, int(k * chunk_tokens))
    return INSTRUCTIONS_TOKENS + retrieved + k * (LABEL_TOKENS_PER_SEGMENT + 8) + QUESTION_TOKENS
