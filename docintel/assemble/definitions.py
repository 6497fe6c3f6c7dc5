"""Retrieved code grows to whole definitions, and what that costs a prompt.

A retrieved code chunk is widened to the functions, methods and classes it touches when each is small enough: a
definition cut at a chunk boundary loses the half that answers (LongRAG's long units). The router prices a retrieve
prompt before it exists, so it needs the tokens a retrieved chunk really puts in the prompt once widened, not the
chunk's own size (on code-flask widening adds about a quarter to a retrieve prompt).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docintel.corpus import Corpus, Document, SourceSpan

# ~2,000 tokens: a bigger class is not sent whole for one of its methods (the method itself still is, if small).
WHOLE_DEFINITION_CHARS = 8000


def whole_definitions(doc: Document, span: SourceSpan) -> tuple[int, int]:
    """``span`` widened to every small non-variable definition of ``doc`` it overlaps (code documents only)."""
    start, end = span.start, span.end
    if doc.kind == "code":
        for d in doc.definitions:
            small = d.span.end - d.span.start <= WHOLE_DEFINITION_CHARS
            if d.kind != "variable" and small and d.span.start < span.end and d.span.end > span.start:
                start, end = min(start, d.span.start), max(end, d.span.end)
    return start, end


_growth_memo: dict[str, float] = {}


def widening_growth(corpus: Corpus, chunks: Iterable[Any]) -> float:
    """How much widening to whole definitions grows a retrieved chunk on average (token-weighted): 1.0 for a
    corpus without code definitions. A retrieve prompt's chunks cost their mean tokens times this.

    Each chunk is widened on its own; hits that fall in the same definition are merged when a prompt is built, so
    this overstates retrieval that lands several hits in one place. Memoized per corpus content (a background
    process keeps its corpora open)."""
    key = corpus.content_hash
    if key in _growth_memo:
        return _growth_memo[key]
    code = {d.path: d for d in corpus.documents if d.kind == "code" and d.definitions}
    own = sent = 0.0
    if code:
        for chunk in chunks:
            length = chunk.span.end - chunk.span.start
            doc = code.get(chunk.span.path)
            grown = length
            if doc is not None and length > 0:
                start, end = whole_definitions(doc, chunk.span)
                grown = end - start
            own += chunk.tokens
            sent += chunk.tokens * (grown / length if length > 0 else 1.0)
    growth = sent / own if own else 1.0
    if len(_growth_memo) > 8:
        _growth_memo.clear()
    _growth_memo[key] = growth
    return growth
