"""Defined terms of a contract: ``"X" means ...``, ``"X" shall mean ...``, ``(the "X")``, ``(hereinafter "X")``.

Returns each term with the character range of its whole definition (the sentence or clause that defines it),
so a question about a term can cite where the contract defines it. Straight and curly quotes both count.
"""

from __future__ import annotations

import re

_OPEN = "\"“”'‘"
_TERM = r"[\"“”]([A-Z0-9][^\"“”]{0,79}?)[\"“”]"  # a term may wrap onto the next line

# "X" means / shall mean / has the meaning / includes / refers to ...
_MEANS = re.compile(
    _TERM
    + r"(?:\s+or\s+"
    + _TERM
    + r")?[,:]?\s+(?:shall\s+|will\s+|as\s+used\s+(?:herein|in\s+this\s+Agreement)\s*,?\s*)?"
    r"(?:means?|mean\s+and\s+include|includes?|refers?\s+to|has\s+the\s+meanings?|have\s+the\s+meanings?|"
    r"shall\s+have\s+the\s+meanings?|is\s+defined)\b",
)
# (the "X"), (each, a "X"), (hereinafter "X"), (hereinafter referred to as "X"), (collectively, the "X"),
# ('the Manufacturer'); a parenthesis may name several terms ("X" or "Y"): the first is the defined one.
_PAREN = re.compile(
    r"\(\s*(?:the\s+|each(?:,)?\s+(?:a|an|the)\s+|an?\s+|collectively(?:,)?\s+(?:the\s+)?|"
    r"individually(?:,)?\s+(?:a|an|the)?\s*|hereinafter(?:\s+(?:referred\s+to\s+as|called))?\s*(?:the\s+)?|"
    r"referred\s+to\s+(?:herein\s+)?as\s+(?:the\s+)?)?"
    r"(?:" + _TERM + r"|[‘']((?:the\s+)?[A-Z][^'’\n]{0,59})[’'])"
    r"(?=[^)\n]{0,200}\))",
)
# Unquoted, at the start of a numbered definition: "1.1.5 Baidu website: means ..." / "(b) Affiliate means ..."
_BARE = re.compile(
    r"^[ \t]*(?:\d{1,3}(?:\.\d{1,3})*\.?|\([a-z0-9]{1,4}\))[ \t]+"
    r"([A-Z][\w'’-]*(?:[ \t]+[\w'’-]+){0,5}?)[ \t]*[:,]?[ \t]+(?:shall[ \t]+)?means?\b",
    re.MULTILINE,
)
_NOT_A_TERM = {"The", "This", "These", "That", "Each", "Any", "All", "It", "Such", "A", "An", "Which"}
# a sentence ends at ". " or "; " before a capital, a quote or a parenthesis, but not after "Inc." or "No."
_SENTENCE_BREAK = re.compile(
    r"[.;](?<!\bInc.)(?<!\bLtd.)(?<!\bCorp.)(?<!\bCo.)(?<!\bNo.)(?<!\bL.P.)(?<!\bL.L.C.)(?<!\bS.A.)(?<!\bN.V.)"
    r"(?<!\bMr.)(?<!\bMs.)(?<!\bDr.)(?<!\b[A-Z].)\s+(?=[\"“(A-Z])"
)
_SENTENCE_END = re.compile(r"\.(?=[\"'”’)]*(?:\s|$))|\n")
_SUBITEM = re.compile(r"[ \t]*\((?:[a-z]{1,4}|[ivxlc]+|\d{1,2})\)\s")
_MAX_DEFINITION = 2_000
# a line that starts a clause or list item: "1.1 ", "12. ", "(a) ", "Section 4 "
_STARTS_ITEM = re.compile(r"[ \t]*(?:\d{1,3}(?:\.\d{1,3})*\.?|\([a-zA-Z0-9]{1,5}\)|Section\s+\d[\d.]*)[ \t]")


def find_defined_terms(text: str) -> list[tuple[str, int, int]]:
    """``(term, start, end)`` for each defined term, first definition wins (a "means" one over a parenthesis)."""
    found: dict[str, tuple[int, int, int]] = {}  # term -> (priority, start, end)
    for m in _MEANS.finditer(text):
        start = _sentence_start(text, m.start())
        end = _definition_end(text, m.end())
        for group in (1, 2):  # "Statement of Work" or "SOW" means ...
            term = _clean(m.group(group) or "")
            if term and _plausible(term):
                _keep(found, term, 0, start, end)
    for m in _BARE.finditer(text):
        term = _clean(m.group(1))
        if term and _plausible(term) and term.split()[0] not in _NOT_A_TERM:
            _keep(found, term, 0, _sentence_start(text, m.start(1)), _definition_end(text, m.end()))
    for m in _PAREN.finditer(text):
        term = _clean(m.group(1) or m.group(2) or "")
        if term.lower().startswith("the "):
            term = term[4:]
        if term and _plausible(term):
            start = _sentence_start(text, m.start())
            end = _sentence_end(text, m.end())
            _keep(found, term, 1, start, end)
    return sorted(((t, s, e) for t, (_, s, e) in found.items()), key=lambda x: (x[1], x[0]))


def _keep(found: dict[str, tuple[int, int, int]], term: str, priority: int, start: int, end: int) -> None:
    old = found.get(term)
    if old is None or (priority, start) < (old[0], old[1]):
        found[term] = (priority, start, end)


def _clean(term: str) -> str:
    return " ".join(term.strip(" ,;:" + _OPEN).split())


def _plausible(term: str) -> bool:
    words = term.split()
    return 0 < len(words) <= 8 and any(ch.isalpha() for ch in term)


def _sentence_start(text: str, pos: int) -> int:
    """Start of the line, or of the sentence within a long line, that holds ``pos``."""
    floor = max(0, pos - _MAX_DEFINITION)  # never look further back than a definition can be long
    newline = text.rfind("\n", floor, pos)
    line_start = newline + 1 if newline >= 0 else floor
    # a sentence wrapped over several lines starts where the previous line ended one
    while line_start > floor and not _STARTS_ITEM.match(text, line_start):
        newline = text.rfind("\n", floor, line_start - 1)
        if newline < 0:
            break
        prev_start = newline + 1
        previous = text[prev_start : line_start - 1].rstrip()
        if not previous or previous.endswith((".", ":", ";")):
            break
        if previous.isupper():  # a heading line ("ARTICLE I - DEFINITIONS")
            break
        line_start = prev_start
    cut = line_start
    window = max(line_start, pos - _MAX_DEFINITION)  # flattened contracts have paragraphs of 10,000+ characters
    for m in _SENTENCE_BREAK.finditer(text, window, pos + 1):
        cut = m.end()
    if cut < window:
        cut = text.find(" ", window, pos) + 1 or window
    # a clause number at the line start belongs to the definition ("1.4 "Affiliate" means ...")
    if cut != line_start and re.fullmatch(r"\s*[\w.()]{1,12}\s+", text[line_start:cut]):
        return line_start
    return cut


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END.search(text, pos, min(len(text), pos + _MAX_DEFINITION))
    if m is None:
        return min(len(text), pos + _MAX_DEFINITION)
    return m.end() if m.group() != "\n" else m.start()


def _definition_end(text: str, pos: int) -> int:
    """End of a "means" definition: its paragraph, plus following ``(a)``/``(i)`` items when it introduces a list;
    a very long line (text without line breaks) ends at the sentence."""
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    if line_end - pos > _MAX_DEFINITION:
        return _sentence_end(text, pos)
    end = line_end
    # a definition wrapped over several lines (PDF text) runs on until a line ends a sentence
    while end < len(text) and not text[max(0, end - 3) : end].rstrip().endswith((".", ":", ";")):
        nxt = end + 1
        following = text.find("\n", nxt)
        following = len(text) if following < 0 else following
        if not text[nxt:following].strip() or _STARTS_ITEM.match(text, nxt) or following - pos > _MAX_DEFINITION:
            break
        end = following
    while end < len(text) and text[max(0, end - 20) : end].rstrip().endswith((":", ";", ",", " and", " or")):
        nxt = end + 1
        while nxt < len(text) and text[nxt] == "\n":
            nxt += 1
        if not _SUBITEM.match(text, nxt):
            break
        following = text.find("\n", nxt)
        end = len(text) if following < 0 else following
    return end
