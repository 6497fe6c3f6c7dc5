"""Run a checklist over a corpus: each item is asked through the public API like any other question.

With a language model, the answer's citations are the findings (unless the model says it found none). With the
extractive backend no model judges anything: the answer's cited spans are listed as evidence, and lines that
match the item's patterns are the candidate findings. The report says so (``verdict = "evidence_only"``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from docintel import __version__
from docintel.answer import Answer
from docintel.audit.candidates import candidate_evidence, has_syntax_rules, judge_candidates
from docintel.audit.checklists import Checklist, ChecklistItem
from docintel.audit.results import AuditReport, Evidence, ItemResult
from docintel.cite.locators import span_in
from docintel.corpus import Corpus, Document, SourceSpan
from docintel.ingest.lines import LineIndex

if TYPE_CHECKING:
    from docintel.backends import Backend
    from docintel.session import BackendConfig, Session

ItemProgress = Callable[[int, int, str], None]  # (done, total, current item id)

# A model says it found nothing with this line (the instruction is appended to each audit question).
NONE_FOUND = "NONE FOUND"
_NONE_FOUND_RE = re.compile(r"^\W*none\s+found\b", re.IGNORECASE)
MAX_PATTERN_HITS = 50  # per item: a report lists the first 50 matching lines in corpus order
MAX_LINE_QUOTE = 300  # a matching line longer than this is quoted as the match and its context only
QUOTE_CONTEXT = 120  # characters kept on each side of the match in such a line
SEARCH_HITS = 5  # evidence-only items whose answer quoted nothing list this many retrieved chunks


def audit_question(item: ChecklistItem) -> str:
    return f"{item.prompt_question} If there is none, answer exactly: {NONE_FOUND}."


def pattern_evidence(
    corpus: Corpus, item: ChecklistItem, kinds: tuple[str, ...], *, limit: int = MAX_PATTERN_HITS
) -> tuple[Evidence, ...]:
    """Lines matching the item's patterns in documents of ``kinds``, one Evidence per line, in corpus order."""
    compiled = item.compiled()
    if not compiled:
        return ()
    out: list[Evidence] = []
    for doc in corpus.documents:
        if doc.kind not in kinds:
            continue
        for span, line in _matching_lines(doc, compiled):
            matched = tuple(p.pattern for p in compiled if p.search(line))
            out.append(Evidence(span=span, quote=line, source="pattern", finding=True, patterns=matched))
            if len(out) >= limit:
                return tuple(out)
    return tuple(out)


def _matching_lines(doc: Document, compiled: tuple[re.Pattern[str], ...]) -> list[tuple[SourceSpan, str]]:
    """One span per line holding a match; a long line (a contract paragraph) narrows to the words around it."""
    text = doc.text
    first_match: dict[int, tuple[int, int]] = {}  # line start -> the earliest match on that line
    for pattern in compiled:
        for m in pattern.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if line_start not in first_match or m.start() < first_match[line_start][0]:
                first_match[line_start] = (m.start(), m.end())
    hits: list[tuple[SourceSpan, str]] = []
    lines = LineIndex(text) if first_match else None
    for line_start in sorted(first_match):
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end == -1 else line_end
        start, end = line_start, line_end
        if end - start > MAX_LINE_QUOTE:
            m_start, m_end = first_match[line_start]
            start = _word_start(text, max(line_start, m_start - QUOTE_CONTEXT), line_start)
            end = _word_end(text, min(line_end, max(m_end, m_start + 1) + QUOTE_CONTEXT), line_end)
        span = span_in(doc, start, end, lines)  # the clause / page / cue of the hit itself, as every route labels it
        hits.append((span, text[start:end]))
    return hits


def _word_start(text: str, pos: int, floor: int) -> int:
    while pos > floor and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _word_end(text: str, pos: int, ceiling: int) -> int:
    while pos < ceiling and not text[pos].isspace():
        pos += 1
    return pos


def search_evidence(handle: Session, item: ChecklistItem, *, k: int = SEARCH_HITS) -> tuple[Evidence, ...]:
    """The best BM25 chunks for the item's question and hints (never findings: retrieval is not judgement).

    Lexical only: the hints are keywords, and it spares one query embedding per item."""
    compiled = item.compiled()
    return tuple(
        Evidence(
            span=h.chunk.span,
            quote=h.chunk.text,
            source="search",
            finding=False,
            patterns=tuple(p.pattern for p in compiled if p.search(h.chunk.text)),
        )
        for h in handle.search(item.prompt_question, k=k, mode="lexical")
    )


def answer_evidence(answer: Answer, item: ChecklistItem, *, evidence_only: bool) -> tuple[Evidence, ...]:
    """The answer's citations; findings when a model cited them and did not say it found none."""
    said_none = answer.insufficient_context or bool(_NONE_FOUND_RE.match(answer.text.strip()))
    compiled = item.compiled()
    out = []
    for c in answer.citations:
        matched = tuple(p.pattern for p in compiled if p.search(c.quote))
        out.append(
            Evidence(
                span=c.span,
                quote=c.quote,
                source="answer",
                finding=not evidence_only and not said_none,
                patterns=matched,
                citation_id=c.id,
            )
        )
    return tuple(out)


def run_item(
    handle: Session,
    checklist: Checklist,
    item: ChecklistItem,
    *,
    backend: str | Backend,
    profile: str | None,
    evidence_only: bool,
) -> ItemResult:
    started = time.monotonic()
    answer = handle.ask(audit_question(item), backend=backend, profile=profile)
    evidence = answer_evidence(answer, item, evidence_only=evidence_only)
    notes, usage = answer.notes, answer.usage
    # Syntax candidates (docintel.audit.candidates): listed as candidates without a model, judged by one with it.
    syntax = candidate_evidence(handle.corpus, item, checklist.kinds) if has_syntax_rules(item) else None
    if evidence_only:
        if not evidence:  # the extractive answer quoted nothing: list what retrieval ranks first instead
            evidence = search_evidence(handle, item)
        evidence += syntax if syntax is not None else pattern_evidence(handle.corpus, item, checklist.kinds)
    elif syntax and not isinstance(backend, str):
        judged, calls = judge_candidates(backend, handle.corpus, item, syntax, answer.plan)
        cited = [e.span for e in evidence if e.finding]
        # a candidate on a line the answer already cites as a finding is that finding, not a second one
        judged = tuple(
            e
            for e in judged
            if not any(c.path == e.span.path and c.start_line <= e.span.start_line <= c.end_line for c in cited)
        )
        evidence += judged
        usage = sum(calls, usage)
        notes = (*notes, f"the model judged {len(syntax)} syntax candidates: {sum(e.finding for e in judged)} more")
    return ItemResult(
        item=item,
        plan=answer.plan,
        answer=answer.text,
        evidence=evidence,
        usage=usage,
        insufficient_context=answer.insufficient_context,
        seconds=time.monotonic() - started,
        notes=notes,
    )


def run_audit(
    handle: Session,
    checklist: Checklist,
    *,
    backend: str | BackendConfig | Backend | None = None,
    profile: str | None = None,
    progress: ItemProgress | None = None,
) -> AuditReport:
    """Ask every checklist item; ``progress(done, total, item_id)`` is called before each item and at the end.
    ``backend`` defaults to the session's; with no language model (extractive) the report lists evidence only."""
    backend_obj = handle.backend(backend, profile=profile)
    evidence_only = not backend_obj.capabilities.generative
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    results: list[ItemResult] = []
    total = len(checklist.items)
    for n, item in enumerate(checklist.items):
        if progress:
            progress(n, total, item.id)
        results.append(
            run_item(handle, checklist, item, backend=backend_obj, profile=profile, evidence_only=evidence_only)
        )
    if progress:
        progress(total, total, "")
    corpus = handle.corpus
    return AuditReport(
        corpus_root=str(corpus.root),
        corpus_hash=corpus.content_hash,
        documents=len(corpus.documents),
        corpus_tokens=corpus.tokens,
        checklist=checklist,
        docintel_version=__version__,
        backend=backend_obj.name,
        model=backend_obj.profile.id,
        profile=results[0].plan.profile if results else (profile or backend_obj.profile.id),
        verdict="evidence_only" if evidence_only else "model",
        items=tuple(results),
        started_at=started_at,
        seconds=time.monotonic() - started,
    )
