"""Symbol-aware retrieval for code questions: the definitions a question names, their callers and enclosing class,
fused with the index's search; implementation before tests and docs, changelogs last.

A code question names things by identifier (``to_native_string``, ``ProxyError``, ``app.route``, "the links
method"). The ingest layer already knows where each is defined (``Document.definitions``, from tree-sitter) and
which files use which names (``Document.references``). Those chunks form a third ranked list beside the vector
and BM25 lists (reciprocal-rank fusion), so a definition the embedding missed still comes first. Paths of tests,
docs and changelogs are demoted (a factor on the fused score) unless the question is about them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from docintel.corpus import Corpus, SourceSpan
from docintel.index.fusion import reciprocal_rank_fusion

_BACKTICKED = re.compile(r"`([^`\s]+)`")
_DOTTED = re.compile(r"\b[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)+\b")
_SNAKE = re.compile(r"\b_*[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b_[a-z][a-z0-9]+\b")
_CAMEL = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b|\b[A-Z]{2,}[a-z][A-Za-z0-9]*\b")
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NAMED_AS = re.compile(
    r"\b(?:the\s+)?([A-Za-z_]\w*)\s+(?:method|function|class|attribute|property|decorator|fixture|hook|exception)s?\b"
)
_ABOUT_TESTS = re.compile(r"\btests?\b|\btest_|\btesting\b|\bpytest\b|\bfixtures?\b", re.IGNORECASE)
_ABOUT_DOCS = re.compile(
    r"\bdocs?\b|\bdocumentation\b|\breadme\b|\bchangelog\b|\brelease notes\b|\bexamples?\b", re.IGNORECASE
)
_CHANGELOG = re.compile(r"(change|changelog|changes|history|news|release|releases|whatsnew)", re.IGNORECASE)
_STOP = {"self", "cls", "none", "true", "false", "the", "this", "that", "which", "what", "how", "why", "a", "an"}
SYMBOL_DEPTH = 40  # chunks in the symbol list before fusion
CHANGELOG_FACTOR = -0.8  # score x 0.2
TEST_FACTOR = -0.4  # score x 0.6
DOC_FACTOR = -0.5


def question_symbols(question: str) -> list[str]:
    """Identifiers a question writes: backticked, dotted, snake_case, CamelCase, called ``f(``, or "the X method"."""
    found: dict[str, None] = {}
    for pattern in (_BACKTICKED, _DOTTED, _SNAKE, _CAMEL):
        for m in pattern.finditer(question):
            found.setdefault(m.group(m.lastindex or 0).strip("().,:;'\""), None)
    for pattern in (_CALLED, _NAMED_AS):
        for m in pattern.finditer(question):
            found.setdefault(m.group(1), None)
    out = []
    for name in found:
        name = name.removesuffix("(...)").removesuffix("()")
        if name and name.lower() not in _STOP and len(name) >= 3:
            out.append(name)
    return out


def path_role(path: str) -> str:
    """``changelog``, ``test``, ``doc`` or ``code``: how a code question weighs this file."""
    p = PurePosixPath(path)
    parts = {part.lower() for part in p.parts[:-1]}
    name = p.name.lower()
    if _CHANGELOG.search(p.stem) and p.suffix.lower() in (".rst", ".md", ".txt", ""):
        return "changelog"
    if parts & {"changelog", "changes", "news"}:
        return "changelog"
    if parts & {"tests", "test", "testing"} or name.startswith("test_") or name.endswith(("_test.py", "conftest.py")):
        return "test"
    if parts & {"doc", "docs", "documentation"} or p.suffix.lower() in (".rst", ".md", ".txt", ".svg", ".html"):
        return "doc"
    return "code"


@dataclass(frozen=True)
class SymbolTable:
    """Per corpus: where each name is defined, and which files use it."""

    definitions: dict[str, list[tuple[str, SourceSpan, str]]]  # name or last part -> (qualified, span, kind)
    users: dict[str, list[str]]  # name -> paths whose references include it
    code: bool  # the corpus is mostly code

    @classmethod
    def of(cls, corpus: Corpus) -> SymbolTable:
        definitions: dict[str, list[tuple[str, SourceSpan, str]]] = {}
        users: dict[str, list[str]] = {}
        for doc in corpus.documents:
            for d in doc.definitions:
                if d.kind == "term":
                    continue
                for key in {d.name, d.name.rsplit(".", 1)[-1]}:
                    definitions.setdefault(key, []).append((d.name, d.span, d.kind))
            for name in doc.references:
                users.setdefault(name, []).append(doc.path)
        from docintel.routers.scope import is_code_corpus

        return cls(definitions, users, is_code_corpus(d.kind for d in corpus.documents))


_tables: dict[str, SymbolTable] = {}


def symbol_table(corpus: Corpus) -> SymbolTable:
    key = corpus.content_hash
    if key not in _tables:
        if len(_tables) > 8:
            _tables.clear()
        _tables[key] = SymbolTable.of(corpus)
    return _tables[key]


def symbol_spans(question: str, corpus: Corpus) -> list[SourceSpan]:
    """Spans for the symbols ``question`` names, best first: definitions (implementation before tests), the class
    that encloses a named method, then the definitions that use the name (callers)."""
    table = symbol_table(corpus)
    about_tests = bool(_ABOUT_TESTS.search(question))
    defs: list[SourceSpan] = []
    classes: list[SourceSpan] = []
    callers: list[SourceSpan] = []
    for name in question_symbols(question):
        last = name.rsplit(".", 1)[-1]
        found = table.definitions.get(name) or table.definitions.get(last) or []
        if len(found) > 12:  # a name defined everywhere ("get", "run") singles nothing out
            found = [f for f in found if f[0] == name]
        ordered = sorted(found, key=lambda f: (not about_tests and path_role(f[1].path) == "test", f[1].path))
        for qualified, span, _kind in ordered:
            defs.append(span)
            if "." in qualified:
                owner = qualified.rsplit(".", 1)[0]
                classes.extend(s for q, s, k in table.definitions.get(owner, []) if q == owner and s.path == span.path)
        for path in table.users.get(last, [])[:20]:
            if not about_tests and path_role(path) == "test":
                continue
            doc = corpus.document(path)
            for d in doc.definitions:
                calls = d.kind in ("function", "method") and last in doc.text[d.span.start : d.span.end]
                if calls and d.name.rsplit(".", 1)[-1] != last:
                    callers.append(d.span)
    seen: set[tuple[str, int, int]] = set()
    out = []
    for span in (*defs, *classes, *callers):
        key = (span.path, span.start, span.end)
        if key not in seen:
            seen.add(key)
            out.append(span)
    return out


def demotion(question: str, corpus: Corpus) -> dict[str, float]:
    """Per path, the boost factor for a code question: changelogs always down, tests and docs unless asked about."""
    table = symbol_table(corpus)
    if not table.code:
        return {}
    about_tests = bool(_ABOUT_TESTS.search(question))
    about_docs = bool(_ABOUT_DOCS.search(question))
    out: dict[str, float] = {}
    for doc in corpus.documents:
        role = path_role(doc.path)
        if role == "changelog" and not re.search(r"\bchangelog\b|\brelease notes?\b|\bchanges\b", question, re.I):
            out[doc.path] = CHANGELOG_FACTOR
        elif role == "test" and not about_tests:
            out[doc.path] = TEST_FACTOR
        elif role == "doc" and not about_docs:
            out[doc.path] = DOC_FACTOR
    return out


def search(corpus: Corpus, index: Any, question: str, k: int, paths: Collection[str] | None = None) -> list[Any]:
    """The index's fused search, demoted by path role, fused again with the chunks of the symbols the question
    names (definitions, enclosing class, callers). Plain fused search for a corpus that is not mostly code."""
    table = symbol_table(corpus)
    if not table.code:
        return list(index.search(question, k=k, paths=list(paths) if paths else None))
    boost = demotion(question, corpus)
    hits = list(index.search(question, k=max(k, 2 * k), paths=list(paths) if paths else None, boost=boost or None))
    spans = [s for s in symbol_spans(question, corpus) if not paths or s.path in paths]
    symbol_hits = _chunks_over(index, spans)[:SYMBOL_DEPTH]
    if not symbol_hits:
        return hits[:k]
    by_id = {h.chunk.id: h for h in (*hits, *symbol_hits)}
    fused = reciprocal_rank_fusion(
        {"search": [h.chunk.id for h in hits], "symbols": [h.chunk.id for h in symbol_hits]},
        boost=lambda cid: boost.get(by_id[cid].chunk.span.path, 0.0),
    )
    return [by_id[f.key] for f in fused[:k]]


def _chunks_over(index: Any, spans: Sequence[SourceSpan]) -> list[Any]:
    """The index's chunks that overlap ``spans``, in the spans' order, as search hits."""
    from docintel.index.corpus_index import Hit

    store = getattr(index, "store", None)
    if store is None or not spans:
        return []
    by_path: dict[str, list[Any]] = {}
    out: list[Any] = []
    seen: set[str] = set()
    for span in spans:
        if span.path not in by_path:
            by_path[span.path] = [_chunk_of(r) for r in store.chunk_rows("WHERE path = ?", (span.path,))]
        for chunk in by_path[span.path]:
            if chunk.span.start < span.end and span.start < chunk.span.end and chunk.id not in seen:
                seen.add(chunk.id)
                out.append(Hit(chunk, 0.0))
    return out


def _chunk_of(row: Any) -> Any:
    """A stored row as a Chunk (``StoredChunk.chunk``, or an older store's plain row)."""
    if hasattr(row, "chunk"):
        return row.chunk
    from docintel.index import store

    return store.row_to_chunk(row)  # type: ignore[attr-defined]
