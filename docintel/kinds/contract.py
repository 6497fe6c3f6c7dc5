"""Contracts: PDF, DOCX, and prose with numbered clauses and legal vocabulary (``docintel.ingest.contract`` reads
them into sections and clauses with numbering and page)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from docintel.corpus import Document, Segment
from docintel.ingest.detect import DOCUMENT_EXTENSIONS, PROSE_EXTENSIONS, looks_like_contract
from docintel.kinds.base import (
    DocumentKind,
    FileSample,
    OutlineDraft,
    OutlineNode,
    budgeted,
    document_label,
    document_span,
    tokens_label,
)

_ARTICLE = re.compile(r"^([0-9]+|[IVXLC]+)\.")  # "12.1" belongs to article 12, "IV.2" to article IV


class ContractKind(DocumentKind):
    name = "contract"
    title = "Contracts"
    map_title = "Contracts: table of contents and defined terms"
    loader = "docintel.ingest.contract:ContractLoader"  # a PDF/DOCX without clauses comes back as kind "text"
    priority = 50
    checklist = "contract-review"
    span_fields = ("page", "clause", "marks")

    def detect(self, sample: FileSample) -> str | None:
        if sample.suffix in DOCUMENT_EXTENSIONS:
            return f"{sample.suffix[1:].upper()} document"
        if sample.suffix in PROSE_EXTENSIONS and looks_like_contract(sample.head):
            return "numbered clauses and legal vocabulary"
        return None

    def map_section(self, documents: Sequence[Document], budget_tokens: int) -> list[str]:
        """Per contract: numbered clauses with headings, then its defined terms."""
        lines: list[str] = []
        for d in documents:
            lines.append(f"{d.path}:")
            seen: set[tuple[str | None, str | None]] = set()
            for s in d.segments:
                clause = s.span.clause
                if not (clause or s.name) or (clause and "(" in clause):  # sub-clauses (a), (iv): too fine for a TOC
                    continue
                key = (clause, s.name)
                if key in seen:
                    continue
                seen.add(key)
                name = (s.name or "").strip()[:80]
                # the contract loader names a clause "12.1 Governing Law": don't repeat its number
                heading = name if clause and name.startswith(clause) else " ".join(filter(None, (clause, name)))
                page = f" (p. {s.span.page})" if s.span.page else ""
                lines.append(f"  {heading}{page}")
            terms = sorted({t.name for t in d.definitions if t.kind == "term"})
            if terms:
                lines.append("  defined terms: " + "; ".join(terms))
        return budgeted(lines, budget_tokens)

    def outline(self, documents: Sequence[Document]) -> list[OutlineNode]:
        nodes = []
        for document in documents:
            node = OutlineDraft(document_label(document), document_span(document), expand=True, leaf=False)
            _add_clauses(node, document)
            nodes.append(node.freeze())
        return nodes


def segment_label(segment: Segment) -> str:
    clause = segment.span.clause
    name = segment.name or clause or segment.unit
    if clause and not name.startswith(clause):
        name = f"{clause} {name}"
    return f"{name}  {tokens_label(segment.tokens)}"


def _add_clauses(parent: OutlineDraft, document: Document) -> None:
    """Sections grouped by article (the number before the first dot), clauses under the clause they extend:
    ``9.3(c)(i)`` under ``9.3(c)`` under ``9.3`` under article 9."""
    segments = list(document.segments)
    latest: dict[str, int] = {}  # clause id -> index of the segment that has it
    parents: list[int | str | None] = []  # a segment index, an article number, or None (the document)
    article_tokens: dict[str, int] = {}
    for i, segment in enumerate(segments):
        clause = segment.span.clause
        holder: int | str | None = None
        if clause:
            prefixes = [clause[:k] for k, char in enumerate(clause) if char in ".(" and k > 0]
            known = [p for p in prefixes if p in latest]
            if known:
                holder = latest[max(known, key=len)]
            elif (article := _ARTICLE.match(clause)) is not None:
                holder = article.group(1)
            latest[clause] = i
        parents.append(holder)
    for i, segment in enumerate(segments):  # an article's tokens: its sections' and their clauses'
        top: int | str | None = i
        while isinstance(top, int):
            top = parents[top]
        if isinstance(top, str):
            article_tokens[top] = article_tokens.get(top, 0) + segment.tokens
    has_children = {p for p in parents if isinstance(p, int)}
    nodes: dict[int | str, OutlineDraft] = {}
    for i, segment in enumerate(segments):
        holder = parents[i]
        if isinstance(holder, str) and holder not in nodes:
            nodes[holder] = parent.add(f"Article {holder}  {tokens_label(article_tokens[holder])}")
            nodes[holder].leaf = False
        into = parent if holder is None else nodes[holder]
        child = into.add(segment_label(segment), segment.span)
        child.leaf = i not in has_children
        if i in has_children:
            nodes[i] = child


KIND = ContractKind()
