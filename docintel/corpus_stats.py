"""Corpus statistics: documents, segments and tokens by kind and language, the largest documents, skipped files
(what ``docintel stats`` prints and ``Session.stats()`` returns)."""

from __future__ import annotations

from typing import Any

from docintel.corpus import Corpus
from docintel.kinds import corpus_kind


def corpus_stats(corpus: Corpus, *, largest: int = 10) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    by_language: dict[str, dict[str, int]] = {}
    for doc in corpus.documents:
        for table, key in ((by_kind, doc.kind), (by_language, doc.language or "-")):
            row = table.setdefault(key, {"documents": 0, "segments": 0, "tokens": 0})
            row["documents"] += 1
            row["segments"] += len(doc.segments)
            row["tokens"] += doc.tokens
    biggest = sorted(corpus.documents, key=lambda d: (-d.tokens, d.path))[:largest]
    return {
        "root": str(corpus.root),
        "documents": len(corpus.documents),
        "segments": sum(len(d.segments) for d in corpus.documents),
        "tokens": corpus.tokens,
        "by_kind": by_kind,
        "by_language": by_language,
        "largest": [{"path": d.path, "kind": d.kind, "tokens": d.tokens, "bytes": d.size} for d in biggest],
        "skipped": [{"path": s.path, "reason": s.reason} for s in corpus.skipped],
        # text files that were not UTF-8, and the encoding they were read with
        "encodings": {d.path: d.encoding for d in corpus.documents if d.encoding != "utf-8"},
        # what the corpus is and why (its project files, else its largest kind): picks the audit checklist
        "corpus_kind": dict(zip(("kind", "reason"), corpus_kind(corpus), strict=True)),
        # read and indexed but not corpus (data, vendored, generated): searchable with --include-data only
        "set_aside": [
            {"path": d.path, "kind": d.kind, "reason": d.reason or d.kind, "tokens": d.tokens} for d in corpus.aside
        ],
        "set_aside_tokens": sum(d.tokens for d in corpus.aside),
    }
