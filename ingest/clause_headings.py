"""Clause headings in contract text: what follows a clause number when it is a heading, not a sentence.

``clause_heading`` reads "Limitation of Liability." / "GOVERNING LAW" / a short line after a number; ``caps_run``
the all-caps words that open a line; ``caps_heading`` an all-caps heading line; ``titled`` a Title Case heading
closed by a period or colon. Used by the clause segmenter (docintel.ingest.contract).
"""

from __future__ import annotations

import re


def titled(after: str) -> bool:
    """A clause heading closed by a period or colon follows the number: "Shipping Term; Title and Risk of Loss."."""
    m = re.match(r"[ \t]*([A-Z][^.:\n]{0,80}?)[.:](?:[ \t]|$)", after)
    return m is not None and is_titleish(m.group(1).replace(";", " ").replace(",", " ").split())


def caps_run(after: str) -> str | None:
    """The all-caps words that open ``after`` ("TERMINATION OF AGREEMENT   A. ...") when there are some."""
    words: list[str] = []
    for word in after.split()[:10]:
        letters = [c for c in word if c.isalpha()]
        if not letters or any(c.islower() for c in letters) or (len(letters) == 1 and word.endswith(".")):
            break
        words.append(word)
    caps = " ".join(words).rstrip(".:")
    return caps if sum(c.isalpha() for c in caps) >= 4 else None


_SENTENCE_OPENERS = {
    "The",
    "This",
    "These",
    "Each",
    "Any",
    "In",
    "If",
    "All",
    "Such",
    "Upon",
    "No",
    "Neither",
    "Either",
    "A",
    "An",
    "Notwithstanding",
    "Subject",
    "Except",
    "Unless",
    "During",
    "Within",
    "Both",
    "Company",
    "Customer",
    "It",
}
_SMALL = {"of", "and", "or", "the", "to", "for", "in", "on", "a", "an", "by", "with", "upon", "from", "&"}


def clause_heading(after: str, inline: bool = False) -> str | None:
    """The heading that follows a clause number: ``Limitation of Liability.`` / ``GOVERNING LAW`` / a short line."""
    after = after.strip().strip("*_").strip()
    if not after:
        return None
    m = re.match(r"([^.:\n]{1,80}?)(?:\*\*|__)?\s*[.:](?:\s|$)", after)
    candidate = m.group(1) if m else (after if len(after) <= 80 else "")
    candidate = candidate.strip(" *_")
    if not candidate:
        return leading_title(after) if inline else None
    words = candidate.split()
    while len(words) > 1 and len(words[-1]) == 1:  # "TERMS   A" (the first sub-clause follows the heading)
        words.pop()
    candidate = " ".join(words)
    if 0 < len(words) <= 8 and is_titleish(words):
        return candidate
    return leading_title(after) if inline or not m else None


def leading_title(after: str) -> str | None:
    """``Commencement This agreement ...`` (no period after a heading in flattened text): the title-case run."""
    words: list[str] = []
    for word in after.split()[:8]:
        bare = word.strip(",;()")
        if not bare or not (bare[0].isupper() or bare.lower() in _SMALL) or (words and bare in _SENTENCE_OPENERS):
            break
        words.append(word)
    while words and words[-1].lower() in _SMALL:
        words.pop()
    return " ".join(words) or None


def is_titleish(words: list[str]) -> bool:
    return all(w[0].isupper() or w.lower() in _SMALL or not w[0].isalpha() for w in words)


def caps_heading(line: str) -> str | None:
    """An all-caps line of a few words ("GOVERNING LAW", "RECITALS") is a heading."""
    stripped = line.strip().strip("*_#").strip()
    if not (3 <= len(stripped) <= 80) or stripped.endswith((",", ";")):
        return None
    letters = [c for c in stripped if c.isalpha()]
    if len(letters) < 4 or any(c.islower() for c in letters):
        return None
    if len(stripped.split()) > 10 or stripped.startswith(("(", "[", "_", "-")):
        return None
    return stripped.rstrip(".:")
