"""Running headers, footers and page numbers: lines that repeat the page, not the contract.

A PDF (or a text converted from one) repeats its header and footer on every page: the company name, "Source:
ACME CORP, 10-K, 3/1/2020", "Confidential", "Page 3 of 12", "- 7 -". Read as text they look like headings and
start sections of their own, and a page number line before a clause hides that clause's start. The clause
segmenter skips the lines found here: they neither start a segment nor count as the line before one (their text
stays where it is, so every offset still indexes the document).

Found two ways:
- with page starts (PDF): a line among the first or last three of a page that recurs (page numbers as ``#``) at
  the same edge of at least half of the pages (two pages at least);
- in any text: a page-number line (``12``, ``- 12 -``, ``Page 3 of 12``) or a line with letters that recurs
  verbatim (page numbers as ``#``) at least three times, on average a page apart, and does not open a clause
  (``ARTICLE 3``, ``Schedule A``, ``2.1``).
"""

from __future__ import annotations

import re
from collections import defaultdict

_EDGE_LINES = 3
_MIN_REPEATS = 3
_MIN_AVERAGE_GAP = 800  # characters: running text repeats about once a page, a heading style far more often
_PAGE_NUMBER = re.compile(r"[\W_]*(?:page[ \t]*)?#(?:[ \t]*(?:of|/)[ \t]*#)?[\W_]*", re.IGNORECASE)
_OPENS_CLAUSE = re.compile(
    r"[\W_]*(?:article|section|schedule|exhibit|annex|appendix|attachment|addendum|part|chapter|§|#|\(\w{1,4}\))",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_PAGE_WORD = re.compile(r"\bpage[ \t]+\d", re.IGNORECASE)


def shape(line: str) -> str:
    """A line as it repeats from page to page: whitespace collapsed; numbers as ``#`` in a page-number line
    ("Page 3 of 12", "- 7 -"), where they are what changes. Other lines repeat verbatim: a running header
    does not renumber itself, while clause lines of one shape ("4.1 Fees. ...") are not furniture."""
    text = " ".join(line.split())
    numbered = _DIGITS.sub("#", text)
    if _PAGE_NUMBER.fullmatch(numbered) or _PAGE_WORD.search(text):
        return numbered
    return text


def furniture_lines(text: str, page_starts: tuple[int, ...] = ()) -> frozenset[int]:
    """Offsets of the lines of ``text`` that are running headers, footers or page numbers."""
    lines: list[tuple[int, str]] = []  # (offset, shape) of every non-blank line
    offset = 0
    for raw in text.split("\n"):
        if raw.strip():
            lines.append((offset, shape(raw)))
        offset += len(raw) + 1
    found: set[int] = set()
    if len(page_starts) >= 2:
        found |= _page_edges(lines, page_starts)
    by_shape: dict[str, list[int]] = defaultdict(list)
    for at, key in lines:
        if len(key) <= 120:
            by_shape[key].append(at)
    for key, offsets in by_shape.items():
        if len(offsets) < _MIN_REPEATS and not (_PAGE_NUMBER.fullmatch(key) and len(offsets) >= 2 and page_starts):
            continue
        gap = (offsets[-1] - offsets[0]) / max(1, len(offsets) - 1)
        if gap < _MIN_AVERAGE_GAP:
            continue
        if _PAGE_NUMBER.fullmatch(key) or (
            any(c.isalpha() for c in key) and len(key) >= 4 and not _OPENS_CLAUSE.match(key)
        ):
            found.update(offsets)
    return frozenset(found)


def _page_edges(lines: list[tuple[int, str]], page_starts: tuple[int, ...]) -> set[int]:
    """Lines at the top or bottom of pages whose shape recurs at that edge on at least half of the pages."""
    import bisect

    pages: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for at, key in lines:
        pages[bisect.bisect_right(page_starts, at)].append((at, key))
    edges: dict[tuple[str, str], list[int]] = defaultdict(list)  # (top|bottom, shape) -> offsets
    for page_lines in pages.values():
        seen: set[tuple[str, str]] = set()
        for where, chosen in (("top", page_lines[:_EDGE_LINES]), ("bottom", page_lines[-_EDGE_LINES:])):
            for at, key in chosen:
                if (where, key) not in seen:
                    seen.add((where, key))
                    edges[(where, key)].append(at)
    needed = max(2, (len(page_starts) + 1) // 2)
    everywhere: dict[str, int] = defaultdict(int)
    for _, key in lines:
        everywhere[key] += 1
    found: set[int] = set()
    for (_, key), offsets in edges.items():
        if len(offsets) < needed or everywhere[key] > len(offsets):
            continue  # furniture sits at the page edge every time it appears, not also inside the text
        if _PAGE_NUMBER.fullmatch(key) or not _OPENS_CLAUSE.match(key):
            found.update(offsets)
    return found
