"""The one way any range of a document gets its locators (page, clause, speaker, cue times).

A citation names what the document itself says, for exactly the text it quotes: a quote from the middle of a
merged chunk carries the clause, page, speaker and times of the clause segments or transcript cues it covers, not
those of the chunk's first segment. Every route builds its spans here, so one range always has one label:

- ``span_in(document, start, end)`` when the document is at hand (audit pattern hits, full-context pieces, TUI);
- ``narrow(span, start, end, start_line, end_line)`` for a range inside a span that carries ``marks`` (a chunk
  read back from the index, a prompt piece): the marks travel with the span through the store.

Rules, on the range with surrounding whitespace ignored: the page is that of the first mark the range overlaps,
the clause that of the first one that is not a heading joined to the clause it introduces (unless the range is
only that heading); the speaker is the one all overlapped cues share (none when several speak); the start time
is the first overlapped cue's start, the end time the last one's end. A span without marks keeps its own
locators; a range of a marked span that overlaps no mark has no clause, speaker or time.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import replace

from docintel.corpus import Document, Mark, Segment, SourceSpan
from docintel.ingest.lines import LineIndex


def segment_marks(segments: Iterable[Segment], start: int = 0, end: int | None = None) -> tuple[Mark, ...]:
    """The marks of ``segments`` inside ``[start, end)``, clipped to it, in text order: a segment's own marks
    (transcript cues) where it has them, else one mark for the segment when it has any locator at all."""
    out: list[Mark] = []
    for seg in segments:
        s = seg.span
        inner = s.marks or ((_mark_of(s),) if _has_locator(s) else ())
        for m in inner:
            lo, hi = max(m.start, start), m.end if end is None else min(m.end, end)
            if hi > lo:
                out.append(m if (lo, hi) == (m.start, m.end) else replace(m, start=lo, end=hi))
    out.sort(key=lambda m: (m.start, m.end))
    return tuple(out)


def _has_locator(span: SourceSpan) -> bool:
    return any(v is not None for v in (span.page, span.clause, span.speaker, span.start_time))


def _mark_of(span: SourceSpan) -> Mark:
    return Mark(span.start, span.end, span.page, span.clause, span.speaker, span.start_time, span.end_time)


def covered_marks(marks: Sequence[Mark], start: int, end: int) -> list[Mark]:
    """The marks that share at least one character with ``[start, end)``."""
    starts = [m.start for m in marks]
    i = max(0, bisect.bisect_right(starts, start) - 1)
    out = []
    while i < len(marks) and marks[i].start < end:
        if marks[i].end > start:
            out.append(marks[i])
        i += 1
    return out


def located(span: SourceSpan, text: str | None = None) -> SourceSpan:
    """``span`` with page, clause, speaker and times taken from the marks its (non-blank) text covers."""
    if not span.marks:
        return span
    start, end = span.start, span.end
    if text is not None and len(text) == end - start:  # ignore surrounding whitespace: it belongs to no claim
        stripped = text.lstrip()
        start += len(text) - len(stripped)
        end -= len(stripped) - len(stripped.rstrip())
        if end <= start:
            start, end = span.start, span.end
    hit = covered_marks(span.marks, start, end)
    if not hit:  # text between located units (a DOCX preamble): it has no clause, speaker or time
        return replace(span, clause=None, speaker=None, start_time=None, end_time=None)
    # a heading line joined to its clause names the range only when the range is that heading alone
    first = next((m for m in hit if not m.heading), hit[0])
    timed = [m for m in hit if m.start_time is not None]
    return replace(
        span,
        page=hit[0].page if hit[0].page is not None else span.page,
        clause=first.clause,
        speaker=speakers.pop() if len(speakers := {m.speaker for m in hit}) == 1 else None,
        start_time=timed[0].start_time if timed else span.start_time,
        end_time=max((m.end_time for m in timed if m.end_time is not None), default=span.end_time),
    )


def narrow(
    span: SourceSpan, start: int, end: int, start_line: int, end_line: int, text: str | None = None
) -> SourceSpan:
    """The span of ``[start, end)`` inside ``span`` (``text`` is that range's text, when known), with the
    locators of exactly that range and the marks it covers."""
    marks = tuple(
        replace(m, start=max(m.start, start), end=min(m.end, end)) for m in covered_marks(span.marks, start, end)
    )
    inner = replace(span, start=start, end=end, start_line=start_line, end_line=end_line, marks=marks)
    return located(inner, text)


def span_in(document: Document, start: int, end: int, lines: LineIndex | None = None) -> SourceSpan:
    """The span of ``document.text[start:end]`` with the locators of the segments (and cues) it covers."""
    first, last = (lines or LineIndex(document.text)).line_range(start, end)
    marks = segment_marks(_overlapping(document.segments, start, end), start, end)
    span = SourceSpan(document.path, start, end, first, last, marks=marks)
    return located(span, document.text[start:end])


def _overlapping(segments: Sequence[Segment], start: int, end: int) -> list[Segment]:
    return [s for s in segments if s.span.start < end and s.span.end > start]
