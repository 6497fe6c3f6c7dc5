"""Retrieved code grows to whole definitions, and what that costs a prompt.

A retrieved code chunk is widened to the functions, methods and classes it touches when each is small enough: a
definition cut at a chunk boundary loses the half that answers (LongRAG's long units). The router prices a retrieve
prompt before it exists, so it needs the tokens a retrieved chunk really puts in the prompt once widened, not the
chunk's own size (priced at the chunks' size, code-flask's retrieve prompts were undercounted 1.5x and
code-requests' 1.3x).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable

from docintel.corpus import Corpus, Document, SourceSpan

# ~2,000 tokens: a bigger class is not sent whole for one of its methods (the method itself still is, if small).
WHOLE_DEFINITION_CHARS = 8000


SmallDefinitions = tuple[list[int], list[tuple[int, int]]]  # starts, and (start, end) in the same order


def small_definitions(doc: Document) -> SmallDefinitions:
    """The (start, end) of ``doc``'s non-variable definitions short enough to send whole, by start (none unless
    ``doc`` is code)."""
    spans = sorted(
        (d.span.start, d.span.end)
        for d in (doc.definitions if doc.kind == "code" else ())
        if d.kind != "variable" and d.span.end - d.span.start <= WHOLE_DEFINITION_CHARS
    )
    return [a for a, _ in spans], spans


def widened(small: SmallDefinitions, start: int, end: int) -> tuple[int, int]:
    """``start..end`` grown to every small definition it overlaps. Only definitions that start less than
    WHOLE_DEFINITION_CHARS before it can reach it, so the search is a bisected window, not a scan."""
    starts, spans = small
    lo, hi = start, end
    for a, b in spans[bisect_left(starts, start - WHOLE_DEFINITION_CHARS) : bisect_left(starts, end)]:
        if b > start:
            lo, hi = min(lo, a), max(hi, b)
    return lo, hi


def whole_definitions(doc: Document, span: SourceSpan) -> tuple[int, int]:
    """``span`` widened to every small non-variable definition of ``doc`` it overlaps (code documents only)."""
    return widened(small_definitions(doc), span.start, span.end)


def code_with_definitions(corpus: Corpus) -> bool:
    return any(d.kind == "code" and d.definitions for d in corpus.documents)


_growth_memo: dict[str, float] = {}


def widening_growth(corpus: Corpus, extents: Callable[[], Iterable[tuple[str, int, int, int]]]) -> float:
    """How much widening to whole definitions grows a retrieved chunk on average, token-weighted over the chunks'
    ``(path, start, end, tokens)``: 1.0 for a corpus without code definitions. A retrieve prompt's chunks cost
    their mean tokens times this.

    Each chunk is widened on its own; hits that fall in the same definition are merged when a prompt is built, so
    this overstates retrieval that lands several hits in one place. Memoized per corpus content (a background
    process keeps its corpora open)."""
    key = corpus.content_hash
    if key in _growth_memo:
        return _growth_memo[key]
    small = {d.path: small_definitions(d) for d in corpus.documents if d.kind == "code" and d.definitions}
    own = sent = 0.0
    if small:
        for path, start, end, tokens in extents():
            length = end - start
            grown = length
            if path in small and length > 0:
                lo, hi = widened(small[path], start, end)
                grown = hi - lo
            own += tokens
            sent += tokens * (grown / length if length > 0 else 1.0)
    growth = sent / own if own else 1.0
    if len(_growth_memo) > 8:
        _growth_memo.clear()
    _growth_memo[key] = growth
    return growth
