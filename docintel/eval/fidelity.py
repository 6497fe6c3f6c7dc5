"""Citation fidelity: do labels say what the document itself says? (``docintel stats --check``)

Contracts: every line that opens with a clause number as a heading (``8.``, ``10.8``, ``Section 4.2``,
``ARTICLE IV``, ``(b)`` under a clause) is labelled, through the one labelling path (``locators.span_in``),
with a clause that ends with that number, so a missed section (``§ 3`` labelled ``§ 2``) or a drifted one
(``10.7`` for ``10.8``) counts as a miss. Outlines: no entry is a running header or page number, and no entry
is a bare heading without body. Transcripts: a citation of each cue's words carries a time inside that cue
and that cue's speaker.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from docintel.cite.locators import narrow, span_in
from docintel.corpus import Corpus, Document, SourceSpan
from docintel.index.chunks import build_chunks
from docintel.ingest.lines import LineIndex
from docintel.ingest.page_furniture import furniture_lines

_MAX_EXAMPLES = 20
# a clause-number heading at the start of a line: the number, then a heading (not a sentence): ARTICLE/Section
# numbers, decimal numbers before a capital, or "N." before a short Title Case or ALL CAPS heading that ends with
# "." / ":" or the line ("1. CONFIDENTIAL INFORMATION. The ...", "3. Term.", "7. Assignment")
_SMALL = r"(?:of|and|or|the|to|for|in|on|a|an|by|with|upon|from|&|-)"
_TITLE_WORD = r"(?:[A-Z][\w'’/-]*|" + _SMALL + r")"
_NUMBERED_HEADING = re.compile(
    r"[ \t]*(?:#{1,6}[ \t]+)?(?:\*\*|__)?[ \t]*"
    r"(?:(?:ARTICLE|Article)[ \t]+(?P<article>[IVXLC]+|\d{1,3})\b\.?(?=[ \t]*$|[ \t]*[-–—:.]|[ \t]+[A-Z\"“\[])"
    r"|(?:SECTION|Section|§)[ \t]*(?P<section>\d{1,3}(?:\.\d{1,3})*)\b\.?(?=[ \t]*$|[ \t]*[-–—:.]|[ \t]+[A-Z\"“])"
    r"|(?P<decimal>\d{1,3}(?:\.\d{1,3})+)\.?(?=[ \t]+[A-Z])"
    r"|(?P<top>\d{1,2})\.(?=[ \t]+(?:[A-Z][A-Z'’&/-]{2,}(?:[ \t]+[A-Z'’&/-]+)*\b|"
    + _TITLE_WORD
    + r"(?:[ \t]+"
    + _TITLE_WORD
    + r"){0,7}[ \t]*(?:[.:](?:[ \t]|$)|$))))"
)


# a table-of-contents entry names a clause without being it: "SECTION 2.0 TERM ........ 4"
_TOC_LINE = re.compile(r"\.{5,}|…{2,}|_{5,}|[ \t]{2,}\d{1,3}[ \t]*$")


@dataclass
class FidelityReport:
    clause_lines: int = 0
    clause_agree: int = 0
    transcript_cues: int = 0
    transcript_agree: int = 0
    outline_entries: int = 0
    outline_furniture: int = 0
    outline_heading_only: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clauses": {"numbered_lines": self.clause_lines, "agree": self.clause_agree, "rate": _rate(self)},
            "transcripts": {
                "cues": self.transcript_cues,
                "agree": self.transcript_agree,
                "rate": round(self.transcript_agree / self.transcript_cues, 4) if self.transcript_cues else None,
            },
            "outline": {
                "entries": self.outline_entries,
                "running_headers": self.outline_furniture,
                "heading_only": self.outline_heading_only,
            },
            "misses": self.misses[:_MAX_EXAMPLES],
        }

    def _miss(self, **row: Any) -> None:
        if len(self.misses) < _MAX_EXAMPLES:
            self.misses.append(row)


def _rate(report: FidelityReport) -> float | None:
    return round(report.clause_agree / report.clause_lines, 4) if report.clause_lines else None


def check_corpus(corpus: Corpus) -> FidelityReport:
    report = FidelityReport()
    for doc in corpus.documents:
        if doc.kind == "contract":
            check_contract(doc, report)
        elif doc.kind == "transcript":
            check_transcript(doc, report)
    return report


def stated_number(line: str) -> str | None:
    """The clause number a heading line opens with ("10.8", "IV", "3"), or None."""
    m = _NUMBERED_HEADING.match(line)
    if not m:
        return None
    return next(v for v in m.groupdict().values() if v)


def clause_agrees(clause: str | None, number: str) -> bool:
    """A heading's number agrees with a label whose clause path, before any sub-clause, is that number."""
    return bool(clause) and re.split(r"\(", clause or "", maxsplit=1)[0] == number


def check_contract(doc: Document, report: FidelityReport) -> None:
    if not any(s.span.clause for s in doc.segments):
        return  # loaded as paragraph windows: the document has no clause numbering to agree with
    lines = LineIndex(doc.text)
    furniture = furniture_lines(doc.text, _page_starts(doc))
    offset = 0
    for n, line in enumerate(doc.text.split("\n"), start=1):
        at = offset
        offset += len(line) + 1
        if at in furniture:
            continue
        number = stated_number(line)
        if number is None or not _is_heading_position(doc.text, at) or _TOC_LINE.search(line):
            continue
        report.clause_lines += 1
        end = at + len(line.rstrip())
        span = span_in(doc, at, max(end, at + 1), lines)
        if clause_agrees(span.clause, number):
            report.clause_agree += 1
        else:
            report._miss(path=doc.path, line=n, states=number, label=span.label(), text=line.strip()[:80])
    furniture_texts = {_line_at(doc.text, at) for at in furniture}
    for seg in doc.segments:
        if seg.unit == "paragraphs":
            continue
        report.outline_entries += 1
        first_line = seg.span.start + len(seg.text) - len(seg.text.lstrip())
        first_line = doc.text.rfind("\n", 0, first_line) + 1
        if seg.name and seg.name in furniture_texts and first_line in furniture:
            report.outline_furniture += 1
            report._miss(path=doc.path, line=seg.span.start_line, outline="running header", name=seg.name)
        body = [ln for ln in seg.text.strip().split("\n") if ln.strip()]
        bare = len(body) == 1 and len(body[0]) < 60 and len(body[0].split()) <= 6
        headed = seg.unit in ("heading", "article", "section", "preamble")  # list items may be one short line
        if (
            headed
            and bare
            and not body[0].rstrip().endswith((".", ";", ",", ")", ":"))
            and seg.span.end < len(doc.text)
        ):
            report.outline_heading_only += 1
            report._miss(path=doc.path, line=seg.span.start_line, outline="heading only", name=seg.name)


def _line_at(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[at : len(text) if end < 0 else end].strip()


def _is_heading_position(text: str, at: int) -> bool:
    """A number opens a clause only at the start of a paragraph: after a blank line or a line that ends one."""
    if at == 0:
        return True
    prev_end = at - 1
    prev_start = text.rfind("\n", 0, prev_end) + 1
    previous = text[prev_start:prev_end].rstrip()
    return (
        not previous
        or previous.endswith((".", ":", ";"))
        or previous.isupper()
        or len(previous) < 50  # a heading line ("1. Service") or the short end of a paragraph
        or stated_number(previous) is not None
    )


def _page_starts(doc: Document) -> tuple[int, ...]:
    starts: dict[int, int] = {}
    for seg in doc.segments:
        if seg.span.page is not None and seg.span.page not in starts:
            starts[seg.span.page] = seg.span.start
    return tuple(v for _, v in sorted(starts.items())) if len(starts) > 1 else ()


def check_transcript(doc: Document, report: FidelityReport) -> None:
    """Every cue quoted alone, on both citation routes (a piece of the full document, a narrowed retrieval
    chunk): the citation's start time lies within the cue and it names the cue's speaker."""
    lines = LineIndex(doc.text)
    chunks = build_chunks(doc)
    chunk_starts = [c.span.start for c in chunks]
    for seg in doc.segments:
        cues = seg.span.marks or ((seg.span,) if seg.span.start_time is not None or seg.span.speaker else ())
        for cue in cues:
            words = doc.text[cue.start : cue.end]
            lead = len(words) - len(words.lstrip())
            start, end = cue.start + lead, cue.start + len(words.rstrip())
            if end <= start:
                continue
            report.transcript_cues += 1
            whole = span_in(doc, start, end, lines)
            chunk = chunks[max(0, bisect.bisect_right(chunk_starts, start) - 1)] if chunks else None
            routes = [whole]
            if chunk is not None and chunk.span.start <= start and end <= chunk.span.end:
                first, last = lines.line_range(start, end)
                routes.append(narrow(chunk.span, start, end, first, last, doc.text[start:end]))
            if all(_cue_agrees(span, cue.start_time, cue.end_time, cue.speaker) for span in routes):
                report.transcript_agree += 1
            else:
                labels = [span.label() for span in routes]
                report._miss(path=doc.path, cue_start=cue.start_time, cue_speaker=cue.speaker, labels=labels)


def _cue_agrees(span: SourceSpan, t0: float | None, t1: float | None, speaker: str | None) -> bool:
    in_cue = t0 is None or (span.start_time is not None and t0 <= span.start_time <= (t0 if t1 is None else t1))
    return in_cue and span.speaker == speaker
