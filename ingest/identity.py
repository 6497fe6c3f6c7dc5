"""A document's identity: the names a person uses for it, not its file name.

- contract (and other prose): the title, the parties and their short forms (quoted defined terms of the preamble:
  ``("Company")``, ``("BCG")``), the acronyms of multi-word names ("Boston Consulting Group" -> ``bcg``) and the
  date, all read from the preamble;
- transcript: the meeting's name (the file stem), its date when the text gives one, and its participants;
- code: the path and the top-level symbols the file defines.

Computed from a loaded Document (pure, cached by the caller per corpus content), so every loader gets it without a
new stored field. ``docintel.routers.scope`` matches questions against these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from docintel.corpus import Document

PREAMBLE_CHARS = 2_500  # parties, title and date sit in a contract's first paragraphs
TITLE_CHARS = 400
_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# A run of capitalised words ("Boston Consulting Group, Inc."), joined by "of", "and", "&", "de", "the".
_NAME_RUN = re.compile(
    r"(?:[A-Z][\w'’.&/-]*|[0-9][\w'’.&/-]*[A-Za-z][\w'’.&/-]*)"
    r"(?:[ \t]+(?:(?:of|and|&|de|du|la|the|for|und)[ \t]+)?(?:[A-Z][\w'’.&/-]*|[0-9]+[A-Za-z][\w'’.&/-]*))*"
)
_QUOTED = re.compile(r"[\"“”‘']([A-Z][^\"“”‘’'\n]{1,59})[\"“”’']")
_TITLE = re.compile(
    r"\b((?:[A-Z][A-Za-z,&'/-]*[ \t]+){0,8}(?:AGREEMENT|Agreement|CONTRACT|Contract|UNDERTAKING|Undertaking|"
    r"LICENSE|License|LEASE|Lease|MEMORANDUM|Memorandum|NDA|ADDENDUM|Addendum|AMENDMENT|Amendment))\b"
)
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?(?:[ \t]+day[ \t]+of)?[ \t]+(?:{_MONTHS})\.?,?[ \t]+\d{{4}}|"
    rf"(?:{_MONTHS})\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\b"
)
# Words that start a sentence or name a role, not a party: never an acronym letter, never a name of their own.
_NOT_NAME = {
    "this", "the", "these", "that", "whereas", "now", "therefore", "witnesseth", "recitals", "in", "by", "and",
    "between", "among", "made", "dated", "effective", "date", "exhibit", "schedule", "section", "article", "page",
    "agreement", "contract", "party", "parties", "each", "whereby", "if", "for", "to", "of", "as", "an", "a", "it",
}  # fmt: skip
_LEGAL_SUFFIX = {"inc", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "plc", "lp", "llp", "gmbh",
                 "ag", "sa", "nv", "bv", "pty", "pte", "srl", "spa", "the", "of", "and", "de", "for"}  # fmt: skip

_DOCUMENT_TYPE = {"agreement", "contract", "undertaking", "nda", "addendum", "amendment", "memorandum"}


@dataclass(frozen=True)
class Identity:
    path: str
    kind: str
    title: str | None = None
    names: tuple[str, ...] = ()  # parties, short forms, meeting name, participants: as written
    acronyms: tuple[str, ...] = ()  # lower-case initials of multi-word names ("bcg")
    date: str | None = None
    symbols: tuple[str, ...] = ()  # code: top-level definitions

    def words(self) -> set[str]:
        """Every lower-case word of the title, names and path stem (the path counts for prose documents only)."""
        out: set[str] = set()
        for text in (self.title or "", *self.names):
            out |= text_words(text)
        if self.kind != "code":
            out |= path_words(self.path)
        return out


def text_words(text: str) -> set[str]:
    """Lower-case words of ``text``, with camelCase parts too ("RevMed" -> revmed, rev, med)."""
    words = {w.lower() for w in _WORD.findall(text)}
    words |= {w.lower() for w in _WORD.findall(_CAMEL.sub(" ", text))}
    return {w for w in words if len(w) >= 2 and not w.isdigit()}


def path_words(path: str) -> set[str]:
    """Words of a file's name: the stem split on separators, %20 and camelCase (not numbers)."""
    stem = PurePosixPath(path.replace("%20", " ")).stem
    return text_words(stem.replace("_", " "))


def acronym(name: str) -> str | None:
    """Initials of a multi-word name without its legal suffixes: "The Boston Consulting Group, Inc." -> "bcg"."""
    words = [w for w in _WORD.findall(name) if w.lower() not in _LEGAL_SUFFIX and w.lower() not in _DOCUMENT_TYPE]
    if len(words) < 2 or len(words) > 8 or not all(w[0].isupper() for w in words):
        return None
    return "".join(w[0] for w in words).lower()


def document_identity(doc: Document) -> Identity:
    """The identity of one loaded document (see the module docstring)."""
    if doc.kind == "code":
        top = tuple(sorted({d.name for d in doc.definitions if "." not in d.name and d.kind != "variable"}))
        return Identity(doc.path, doc.kind, symbols=top)
    if doc.kind == "transcript":
        return _transcript_identity(doc)
    return _prose_identity(doc)


def _transcript_identity(doc: Document) -> Identity:
    participants = tuple(dict.fromkeys(s.span.speaker for s in doc.segments if s.span.speaker))
    date = _DATE.search(doc.text[:PREAMBLE_CHARS])
    stem = PurePosixPath(doc.path).stem
    return Identity(doc.path, doc.kind, title=stem, names=participants[:40], date=date.group(0) if date else None)


def _prose_identity(doc: Document) -> Identity:
    head = doc.text[:PREAMBLE_CHARS]
    title_match = _TITLE.search(head[:TITLE_CHARS])
    title = " ".join(title_match.group(1).split()) if title_match else _first_line(head)
    names: dict[str, None] = {}
    for m in _NAME_RUN.finditer(head):
        name = _trim_name(m.group(0))
        if name:
            names.setdefault(name, None)
    for m in _QUOTED.finditer(head):
        names.setdefault(" ".join(m.group(1).split()), None)
    acronyms = {a for a in (acronym(n) for n in names) if a and len(a) >= 3}
    date = _DATE.search(head)
    return Identity(
        doc.path,
        doc.kind,
        title=title,
        names=tuple(names),
        acronyms=tuple(sorted(acronyms)),
        date=date.group(0) if date else None,
    )


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:120]
    return None


def _trim_name(run: str) -> str | None:
    """A capitalised run without leading sentence words ("WHEREAS Company" -> "Company"); None if nothing is left."""
    words = run.split()
    while words and words[0].lower().strip(".,'’") in _NOT_NAME:
        words.pop(0)
    while words and words[-1].lower().strip(".,'’") in {"and", "of", "the", "&", "de", "for"}:
        words.pop()
    if not words:
        return None
    name = " ".join(words).strip(" ,.;:")
    return name if len(name) >= 2 else None
