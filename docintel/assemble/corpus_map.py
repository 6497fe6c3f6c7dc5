"""The query-independent corpus map: salient structure at the start of a full-context prompt.

Each document kind writes its own section (``DocumentKind.map_section`` in ``docintel.kinds``): a repo map of the
most referenced definitions for code (aider-style), a table of contents and defined terms for contracts, speakers
and topics for transcripts, the documents and their first line for anything else. A mixed corpus gets one section
per kind, the budget shared by token share; a kind nobody registered still gets the default section. Documents
set aside (data, vendored, generated) are not in the corpus and not in the map. Everything is sorted, so the same
corpus always gives the same map (it is part of the cached prefix).
"""

from __future__ import annotations

from docintel.corpus import Corpus, Document
from docintel.kinds import kinds_in_order


def build_corpus_map(corpus: Corpus, *, budget_tokens: int = 2000, paths: tuple[str, ...] = ()) -> str:
    """A map of ``corpus`` (or of the documents in ``paths``) within about ``budget_tokens`` tokens."""
    docs = [d for d in corpus.documents if not paths or d.path in paths]
    if not docs:
        return ""
    by_kind: dict[str, list[Document]] = {}
    for d in docs:
        by_kind.setdefault(d.kind, []).append(d)
    total = sum(max(1, d.tokens) for d in docs)
    sections = []
    for kind in kinds_in_order(set(by_kind)):
        share = sum(max(1, d.tokens) for d in by_kind[kind.name]) / total
        budget = max(150, int(budget_tokens * share)) if len(by_kind) > 1 else budget_tokens
        body = kind.map_section(by_kind[kind.name], budget)
        sections.append(f"## {kind.map_title}\n" + "\n".join(body))
    return "\n\n".join(sections) + "\n"
