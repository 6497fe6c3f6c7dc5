"""Citation ids in an answer -> the spans that were actually sent; ids the prompt never had are flagged.

An answer cites ``[3]``, ``[3, 5]``, ``[3-5]`` or ``[3][5]``. Each valid id becomes a Citation with the span it
labelled; when the sentence before the citation quotes the span verbatim, the citation narrows to exactly that
quote (its own character range and lines), so a long clause or function is cited at the words that matter, with
the clause, page, speaker and cue times of the quoted words themselves (``docintel.cite.locators.narrow``).
"""

from __future__ import annotations

import re

from docintel.answer import Citation
from docintel.cite.locators import narrow
from docintel.prompt import CitedSpan, Prompt

CITATION = re.compile(r"\[(\d+(?:\s*(?:[,;]|-|–)\s*\d+)*)\]")
QUOTE_MAX_CHARS = 400
_MIN_QUOTE = 16
_MAX_RANGE = 50  # [3-5] expands; a range wider than this is not a citation


def parse_ids(group: str) -> list[str]:
    """``"3, 5-7"`` -> ``["3", "5", "6", "7"]``."""
    ids: list[str] = []
    for part in re.split(r"\s*[,;]\s*", group.strip()):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            if lo <= hi and hi - lo <= _MAX_RANGE:
                ids.extend(str(i) for i in range(lo, hi + 1))
                continue
        ids.extend(b for b in bounds if b.isdigit())
    return ids


# a fenced code block that ends just before the current line: ```lang ... ``` (or a longer fence around code that
# holds three backticks itself)
_FENCED_BEFORE = re.compile(r"(?<!`)(`{3,})[^\n`]*\n(.*?)\n[ \t]*\1[ \t]*\n[ \t]*\Z", re.S)


def _claim_before(text: str, pos: int, previous: int) -> str:
    """The text a citation at ``pos`` follows: back to the previous citation (which ends at ``previous``) or the
    line start; for a citation alone on the line after a fenced code block, the block's code. Only a citation
    marker ends a claim, not any "]": a quoted line of code (``# type: ignore[assignment]``, ``x["k"]``) is quoted
    from its first character, so its label starts at its first line."""
    start = max(text.rfind("\n", 0, pos) + 1, previous)
    claim = text[start:pos].strip().strip('"“”>*-–— ').strip()
    if not claim and start > previous:  # a citation on its own line right after a fenced block cites the block
        block = _FENCED_BEFORE.search(text, previous, start)
        if block:
            return block.group(2).strip("\n")
    return claim


def _narrow(cited: CitedSpan, claim: str) -> Citation | None:
    """The citation narrowed to ``claim`` when the claim quotes the span verbatim (whitespace-insensitively)."""
    if len(claim) < _MIN_QUOTE:
        return None
    i = cited.text.find(claim)
    if i < 0:
        collapsed = re.sub(r"\s+", " ", claim)
        pattern = r"\s+".join(re.escape(w) for w in collapsed.split(" "))
        m = re.search(pattern, cited.text)
        if not m:
            return None
        i, j = m.start(), m.end()
    else:
        j = i + len(claim)
    span = cited.span
    start_line = span.start_line + cited.text.count("\n", 0, i)
    end_line = start_line + cited.text.count("\n", i, max(i, j - 1))
    narrowed = narrow(span, span.start + i, span.start + j, start_line, end_line, cited.text[i:j])
    return Citation(cited.id, narrowed, cited.text[i:j])


def _quote(text: str) -> str:
    text = text.strip()
    return text if len(text) <= QUOTE_MAX_CHARS else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"


def extract_citations(answer: str, prompt: Prompt) -> tuple[tuple[Citation, ...], tuple[str, ...]]:
    """(citations in order of first appearance, invalid ids). A quoted id is cited once, at its first quote."""
    by_id = {c.id: c for c in prompt.citations}
    citations: dict[str, Citation] = {}
    invalid: list[str] = []
    previous = 0
    for m in CITATION.finditer(answer):
        claim = _claim_before(answer, m.start(), previous)
        previous = m.end()
        for cid in parse_ids(m.group(1)):
            cited = by_id.get(cid)
            if cited is None:
                if cid not in invalid:
                    invalid.append(cid)
                continue
            if cid in citations:
                continue
            citations[cid] = _narrow(cited, claim) or Citation(cid, cited.span, _quote(cited.text))
    return tuple(citations.values()), tuple(invalid)
