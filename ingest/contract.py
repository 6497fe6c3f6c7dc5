"""Contracts (PDF, DOCX, TXT/MD) -> articles, sections and clauses by their numbering, plus defined terms.

Segmentation reads the numbering a lawyer cites: ``ARTICLE IV``, ``Section 12.3``, ``12.3``, ``1.``, ``(a)``,
``(iv)``, ``A.``, and headings (all-caps lines, Markdown ``#``, DOCX heading styles). Each segment's span carries
the full clause path (``12.3(a)(iv)``) and its name is the number plus the nearest heading
(``12.3(a) Limitation of Liability``). Segments tile the text exactly; a clause over ``MAX_CLAUSE_TOKENS`` is cut
at paragraph, line, then sentence boundaries and every piece keeps the clause number. A PDF segment never
crosses a page, so ``SourceSpan.page`` is exact; DOCX spans have no page (lines are paragraphs there).
A text without clause numbering still loads, as paragraph windows.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from docintel.cite.locators import located
from docintel.corpus import Definition, Document, Kind, Mark, Segment, SourceSpan
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.clause_headings import caps_heading, caps_run, clause_heading, titled
from docintel.ingest.clause_numbering import ClauseNumbering, article_value
from docintel.ingest.detect import looks_like_contract
from docintel.ingest.extract import Extracted, extract_docx, extract_pdf
from docintel.ingest.lines import LineIndex
from docintel.ingest.page_furniture import furniture_lines
from docintel.ingest.split import split_range
from docintel.ingest.terms import find_defined_terms

MAX_CLAUSE_TOKENS = 800
WINDOW_TOKENS = 400  # paragraph windows for a document without clause numbering
MIN_NUMBERED_MARKERS = 3

LANGUAGES = {".md": "markdown", ".markdown": "markdown", ".pdf": "pdf", ".docx": "docx"}

# Line starts (after indentation and Markdown decoration such as "## " or "**").
_DECORATION = re.compile(r"[\ufeff \t]*(?:#{1,6}[ \t]+)?(?:\*\*|__)?[ \t]*")
_ARTICLE = re.compile(
    r"(?:ARTICLE|Article)[ \t]+([IVXLC]+|\d{1,3})\b\.?(?=[ \t]*$|[ \t]*[-–—:.]|[ \t]+[A-Z\"“\[])[ \t]*[-–—:.]?[ \t]*"
)
_SECTION = re.compile(r"(?:SECTION|Section|§)[ \t]*(\d{1,3}(?:\.\d{1,3})*)\.?(?=[ \t]|$)[ \t]*[-–—:.]?[ \t]*")
_DECIMAL = re.compile(r"(\d{1,3}(?:\.\d{1,3})+)\.?(?=[ \t]*(?:[A-Z(\"“]|$))[ \t]*")
_TOP_NUMBER = re.compile(r"(\d{1,3})\.(?=[ \t])[ \t]+(?=\S)")
_BARE_NUMBER = re.compile(r"(\d{1,3})\.?(?=[ \t])[ \t]+(?=\S)")  # "8 Liability": Word's "%1" with no dot
_PAREN = re.compile(r"\(([a-z]{1,2}|[ivxlc]{1,6}|[A-Z]{1,2}|[IVXLC]{1,6}|\d{1,2})\)(?=[ \t]|$)[ \t]*")
_DOT_LETTER = re.compile(r"([A-Za-z]|[ivx]{1,4}|[IVX]{1,4})\.(?=[ \t])[ \t]+(?=[A-Z\"“(])")
# A decimal clause number inside a long line, right after the end of a sentence: ". 3.6 Sale of Product"
_INLINE_DECIMAL = re.compile(r"(?<=[.;:][ \t])(\d{1,2}(?:\.\d{1,2})+)\.?[ \t]+(?=[A-Z(])")
# "... the Parties agree. 2. TERM AND RENEWAL A. ..." / "... thereof. 3. Term. Subject to ..."
_INLINE_TOP = re.compile(r"(?<=[.;:][ \t])[ \t]{0,2}(\d{1,2})\.[ \t]+(?=[A-Z])")
# "... the Parties agree as follows: ARTICLE 1" (a flattened text runs the article heading into the line before)
_INLINE_ARTICLE = re.compile(
    r"(?<=[.;:)][ \t])[ \t]{0,2}(?:ARTICLE|Article)[ \t]+(\d{1,2}|[IVXL]{1,6})\b(?=[ \t]*$|[ \t]+[A-Z]{2})"
)
_INLINE_MIN_LINE = 400


@dataclass
class _Marker:
    offset: int  # where the segment starts in the text
    clause: str | None
    name: str | None
    unit: str  # article | section | clause | heading | preamble
    numbered: bool


class ContractLoader:
    kind: Kind = "contract"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        suffix = PurePosixPath(rel_path).suffix.lower()
        if suffix == ".pdf":
            extracted = without_page_furniture(extract_pdf(rel_path, data))
        elif suffix == ".docx":
            extracted = extract_docx(rel_path, data)
        else:
            extracted = Extracted(text=decode_utf8(rel_path, data))
        return build_document(rel_path, data, extracted, LANGUAGES.get(suffix, "text"))


def without_page_furniture(extracted: Extracted) -> Extracted:
    """A PDF's text without its running headers, footers and page numbers: they are the page, not the contract,
    and would otherwise be quoted as evidence. (A plain text keeps them: its offsets are the file's.)"""
    text, pages = extracted.text, extracted.page_starts
    furniture = furniture_lines(text, pages)
    if not furniture:
        return extracted
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    bounds = [*pages[1:], len(text)]
    for page_start, page_end in zip(pages, bounds, strict=True):
        starts.append(offset)
        kept, at = [], page_start
        for line in text[page_start:page_end].split("\n"):
            if at not in furniture:
                kept.append(line)
            at += len(line) + 1
        chunk = "\n".join(kept)
        parts.append(chunk)
        offset += len(chunk)
    return replace(extracted, text="".join(parts), page_starts=tuple(starts))


def build_document(rel_path: str, data: bytes, extracted: Extracted, language: str) -> Document:
    text = extracted.text
    lines = LineIndex(text)
    pages = extracted.page_starts
    furniture = furniture_lines(text, pages)
    markers = find_markers(text, extracted.heading_starts, furniture, extracted.numbered_starts)
    numbered = sum(1 for m in markers if m.numbered)
    if numbered >= MIN_NUMBERED_MARKERS:
        pieces, heading_marks = _clause_pieces(text, markers, pages, furniture)
    else:
        pieces, heading_marks = [(s, e, n, None, None, "paragraphs") for s, e, n in _windows(text, pages)], []
    kind: Kind = "contract" if numbered >= MIN_NUMBERED_MARKERS or looks_like_contract(text) else "text"

    heading_starts = [h[0] for h in heading_marks]

    def span(start: int, end: int, clause: str | None) -> SourceSpan:
        first, last = lines.line_range(start, end)
        page = bisect.bisect_right(pages, start) if pages else None
        result = SourceSpan(rel_path, start, end, first, last, page=page, clause=clause)
        i = bisect.bisect_left(heading_starts, start)
        inner = [h for h in heading_marks[i:] if h[0] < end]
        if not inner:
            return result
        # a numbered heading joined to the clause it introduces keeps its own number: "1. Service" is § 1
        marks: list[Mark] = []
        cursor = start
        for h_start, h_end, h_clause in inner:
            if h_start > cursor:
                marks.append(Mark(cursor, h_start, page, clause))
            marks.append(Mark(h_start, min(h_end, end), page, h_clause, heading=True))
            cursor = min(h_end, end)
        if cursor < end:
            marks.append(Mark(cursor, end, page, clause))
        return located(replace(result, marks=tuple(marks)), text[start:end])

    segments = tuple(
        Segment(text=text[s:e], span=span(s, e, clause), tokens=n, unit=unit, name=name)
        for s, e, n, clause, name, unit in pieces
    )
    starts = [seg.span.start for seg in segments]
    definitions = []
    for term, start, end in find_defined_terms(text):
        owner = segments[max(0, bisect.bisect_right(starts, start) - 1)] if segments else None
        definitions.append(Definition(term, "term", span(start, end, owner.span.clause if owner else None)))
    return Document(
        path=rel_path,
        kind=kind,
        language=language,
        sha256=sha256_bytes(data),
        size=len(data),
        text=text,
        segments=segments,
        definitions=tuple(definitions),
    )


_Piece = tuple[int, int, int, str | None, str | None, str]  # start, end, tokens, clause, name, unit


def _clause_pieces(
    text: str, markers: list[_Marker], pages: tuple[int, ...], furniture: frozenset[int] = frozenset()
) -> tuple[list[_Piece], list[tuple[int, int, str]]]:
    """Segments from markers: heading-only segments fold into the next, pages and size caps cut the rest.
    Also returns (start, end, clause) of each numbered heading so folded, for its own label."""
    if not markers or markers[0].offset > 0:
        preamble = _without_furniture(text, 0, markers[0].offset if markers else len(text), furniture)
        title = preamble.strip().split("\n", 1)[0][:80] or None
        markers.insert(0, _Marker(0, None, title, "preamble", False))
    bounds = [m.offset for m in markers[1:]] + [len(text)]
    merged: list[tuple[int, int, _Marker]] = []
    folded: list[tuple[int, int, str]] = []
    carry: int | None = None
    for marker, end in zip(markers, bounds, strict=True):
        start = marker.offset if carry is None else carry
        body = _without_furniture(text, marker.offset, end, furniture).strip()
        body_lines = body.split("\n")
        heading_only = not body or (
            len(body_lines) <= (2 if marker.unit in ("heading", "article", "preamble") else 1)
            and all(len(line) <= 150 for line in body_lines)
            and not body.endswith((".", ";", ",", ")", ":"))
            and (
                marker.unit in ("heading", "article")
                or (marker.unit == "preamble" and len(body.split()) <= 9)  # "Exhibit 10.26" over the title
                or (marker.unit == "section" and len(body.split()) <= 9)
            )
        )
        if heading_only and end < len(text):
            carry = start  # a bare heading ("ARTICLE XII ...") joins the clause it introduces
            if marker.clause:
                line_end = text.find("\n", marker.offset)
                folded.append((marker.offset, len(text) if line_end < 0 else line_end + 1, marker.clause))
            continue
        carry = None
        merged.append((start, end, marker))
    if carry is not None:
        merged.append((carry, len(text), markers[-1]))
    for i in range(len(merged) - 1):  # a page's running header before its first clause belongs to that clause
        start, end, marker = merged[i]
        cut = max((p for p in pages if start < p < end), default=None)
        if cut is not None and not _without_furniture(text, cut, end, furniture).strip():
            merged[i] = (start, cut, marker)
            merged[i + 1] = (cut, merged[i + 1][1], merged[i + 1][2])
    pieces: list[_Piece] = []
    for start, end, marker in merged:
        for p_start, p_end in _page_cuts(start, end, pages):
            for s, e, n in split_range(text, p_start, p_end, MAX_CLAUSE_TOKENS):
                pieces.append((s, e, n, marker.clause, marker.name, marker.unit))
    return pieces, folded


def _without_furniture(text: str, start: int, end: int, furniture: frozenset[int]) -> str:
    if not furniture:
        return text[start:end]
    kept, offset = [], start
    for line in text[start:end].split("\n"):
        if offset not in furniture:
            kept.append(line)
        offset += len(line) + 1
    return "\n".join(kept)


def _page_cuts(start: int, end: int, pages: tuple[int, ...]) -> list[tuple[int, int]]:
    cuts = [p for p in pages if start < p < end]
    return list(zip([start, *cuts], [*cuts, end], strict=True))


def _windows(text: str, pages: tuple[int, ...]) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for start, end in _page_cuts(0, len(text), pages):
        out.extend(split_range(text, start, end, WINDOW_TOKENS))
    return out


def find_markers(
    text: str,
    heading_starts: frozenset[int] = frozenset(),
    furniture: frozenset[int] = frozenset(),
    numbered_starts: frozenset[int] = frozenset(),
) -> list[_Marker]:
    """Where each article, section, clause and heading starts, with its clause path and name. ``furniture``
    lines (running headers, page numbers) are skipped: they start nothing and are not the line before a clause.
    ``numbered_starts`` are lines whose number Word's numbering rendered: a clause for certain."""
    state = ClauseNumbering()
    markers: list[_Marker] = []
    offset = 0
    raw_lines = text.split("\n")
    starts: list[int] = []
    for line in raw_lines:
        starts.append(offset)
        offset += len(line) + 1
    # the lines the segmenter reads: running headers and page numbers blanked out
    lines = ["" if at in furniture else line for at, line in zip(starts, raw_lines, strict=True)]
    skip_heading: str | None = None
    for n, line in enumerate(lines):
        line_start = starts[n]
        if not line.strip():
            continue
        if skip_heading is not None and line.strip().strip("*_#").strip().rstrip(".:") == skip_heading:
            skip_heading = None  # already the name of the article above it
            continue
        skip_heading = None
        next_line = next((ln for ln in lines[n + 1 : n + 4] if ln.strip()), "")
        previous = _previous_line(lines, raw_lines, n)
        # a line that continues a wrapped sentence ("... term of three\n(3) years") starts no clause
        continues = bool(previous) and not _ENDED.search(previous) and not _is_heading_line(previous)
        if line_start in numbered_starts:
            continues = False
        marker = _line_marker(
            state, line, line_start, line_start in heading_starts, next_line, continues, line_start in numbered_starts
        )
        if marker is not None:
            markers.append(marker)
            if marker.unit == "article" and state.article_heading and state.article_heading not in line:
                skip_heading = state.article_heading
        if len(line) >= _INLINE_MIN_LINE:
            markers.extend(_inline_markers(state, line, line_start, next_line))
    return markers


# a line that ends an item: punctuation, then perhaps a closing quote or bracket and a footnote number ("...hereto.17")
_ENDED = re.compile(r"(?:[.:;,!?)*_\]]|\band|\bor)[\"”’'\]]?\d{0,3}$")


def _previous_line(lines: list[str], raw_lines: list[str], n: int) -> str:
    """The line before line ``n`` as the reader sees it: running headers and page numbers in between skipped."""
    k = n - 1
    while k >= 0 and not lines[k] and raw_lines[k].strip():
        k -= 1
    return lines[k].rstrip() if k >= 0 else ""


def _is_heading_line(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("#") or caps_heading(stripped) is not None or bool(_ARTICLE.match(stripped))


def _line_marker(
    state: ClauseNumbering,
    line: str,
    line_start: int,
    styled_heading: bool,
    next_line: str,
    continues: bool,
    word_numbered: bool = False,
) -> _Marker | None:
    pos = _DECORATION.match(line).end()  # type: ignore[union-attr]  # the pattern matches the empty string
    rest = line[pos:]
    if continues and not styled_heading and not _DECIMAL.match(rest) and not _SECTION.match(rest):
        return None
    if m := _ARTICLE.match(rest):
        heading = clause_heading(rest[m.end() :]) or (caps_heading(next_line) if not rest[m.end() :].strip() else None)
        state.set_article(m.group(1), heading)
        return _Marker(line_start, state.path(), _name(state.path(), heading), "article", True)
    m = _SECTION.match(rest) or _DECIMAL.match(rest)
    if m:
        number = m.group(1)
        key = tuple(int(x) for x in number.split("."))
        after = rest[m.end() :]
        sub = _PAREN.match(after)
        # numbers that run backwards under a heading of their own: an amendment or exhibit restating "6.5 Title."
        restated = bool(state.section_key) and key[0] != state.section_key[0] and titled(after)
        if word_numbered or state.accepts_section(key, sub is not None) or restated:
            state.set_section(number, key, clause_heading(after[sub.end() :] if sub else after))
            if sub:
                style = state.sub_style(sub.group(1), paren=True)
                if style:
                    state.push_sub(style, sub.group(1))
            return _Marker(line_start, state.path(), _name(state.path(), state.heading()), "section", True)
    if m := _TOP_NUMBER.match(rest) or (_BARE_NUMBER.match(rest) if word_numbered else None):
        number = int(m.group(1))
        after = rest[m.end() :]
        heading = clause_heading(after) or caps_heading(after) or caps_run(after)
        top = state.section_key[0] if state.section_key else 0
        # numbering starts again at 1 (an exhibit, a letter agreement): under a sub-clause only with a CAPS heading
        caps = caps_run(after) is not None  # "4. IDENTITY OF PRODUCTS:" is a section wherever its number falls
        restart = number == 1 and (not state.subs or caps)
        if word_numbered or ((top < number <= top + 5 or restart or caps) and heading):
            state.set_section(m.group(1), (number,), heading)
            return _Marker(line_start, state.path(), _name(state.path(), state.heading()), "section", True)
    for pattern, paren in ((_PAREN, True), (_DOT_LETTER, False)):
        if m := pattern.match(rest):
            token = m.group(1)
            style = state.sub_style(token, paren)
            if style and state.push_sub(style, token):
                return _Marker(line_start, state.path(), _name(state.path(), state.heading()), "clause", True)
    heading = caps_heading(rest) or (rest.strip(" #*_") if styled_heading or line.lstrip().startswith("#") else None)
    if heading and len(heading) <= 120:
        state.subs = []
        return _Marker(line_start, None, heading, "heading", False)
    return None


def _inline_markers(state: ClauseNumbering, line: str, line_start: int, next_line: str = "") -> list[_Marker]:
    out: list[_Marker] = []
    found: list[tuple[int, re.Match[str], bool | None]] = [
        (m.start(), m, False) for m in _INLINE_DECIMAL.finditer(line)
    ]
    found += [(m.start(), m, True) for m in _INLINE_TOP.finditer(line)]
    found += [(m.start(), m, None) for m in _INLINE_ARTICLE.finditer(line)]
    for _, m, top_level in sorted(found, key=lambda f: f[0]):
        if top_level is None:  # "... as follows: ARTICLE 1" with its heading on the next line
            value, current = article_value(m.group(1)), article_value(state.article or "0")
            if value != current + 1:
                continue
            after = line[m.end() :].strip()
            state.set_article(m.group(1), caps_run(after) if after else caps_run(next_line))
            out.append(
                _Marker(line_start + m.start(), state.path(), _name(state.path(), state.heading()), "article", True)
            )
            continue
        if top_level:
            number = int(m.group(1))
            top = state.section_key[0] if state.section_key else 0
            heading = clause_heading(line[m.end() : m.end() + 100]) or caps_run(line[m.end() : m.end() + 100])
            if not (top < number <= top + 3 and heading):
                continue
            state.set_section(m.group(1), (number,), heading)
        else:
            key = tuple(int(x) for x in m.group(1).split("."))
            if not state.accepts_section(key, False):
                continue
            state.set_section(m.group(1), key, clause_heading(line[m.end() : m.end() + 120], inline=True))
        out.append(_Marker(line_start + m.start(), state.path(), _name(state.path(), state.heading()), "section", True))
    return out


def _name(clause: str | None, heading: str | None) -> str | None:
    return " ".join(p for p in (clause, heading) if p) or None
