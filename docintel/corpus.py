"""The corpus model: what ingestion produces and every later stage reads.

Every piece of text carries a SourceSpan from here to the citation in an answer. Offsets are character
offsets into ``Document.text`` (the decoded file for text formats, the extracted text for PDF/DOCX), so
``document.text[span.start:span.end] == segment.text`` always holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# A document kind's name ("code", "contract", "transcript", "text", "data", ...): the kinds are plug-ins registered in
# docintel.kinds, so this is an open set of names, not a closed list.
Kind = str


@dataclass(frozen=True)
class Mark:
    """The locators of one sub-range of a span: a clause segment (page, clause) or a transcript cue (speaker,
    times). A span keeps the marks of what it covers so that any narrower range of it (a quote) gets the locators
    of exactly the text it holds: see ``docintel.cite.locators``."""

    start: int
    end: int
    page: int | None = None
    clause: str | None = None
    speaker: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    heading: bool = False  # a numbered heading line joined to the clause it introduces ("1. Service" over 1.1)


@dataclass(frozen=True)
class SourceSpan:
    """Where a piece of text came from: exact character range plus the human locators that apply."""

    path: str  # POSIX path relative to the corpus root
    start: int  # character offset into Document.text, inclusive
    end: int  # exclusive
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    # Kind-specific fields. Each has a default (None or ()) and is stored by name in the index's JSON column
    # (docintel.index.store), so adding one here is all the store needs. ``merge`` says how a chunk spanning several
    # segments gets it: first (the first segment's), first_set / last (the first / last one that is set), same (kept
    # only when every segment agrees), concat (tuples joined).
    page: int | None = field(default=None, metadata={"merge": "first"})  # 1-based page (PDF); None for DOCX
    clause: str | None = field(default=None, metadata={"merge": "first"})  # "12.3", "IV", "5(a)(iv)"
    speaker: str | None = field(default=None, metadata={"merge": "same"})
    start_time: float | None = field(default=None, metadata={"merge": "first_set"})  # seconds from the start
    end_time: float | None = field(default=None, metadata={"merge": "last"})
    # the clause segments / cues inside this span, in text order (empty where the span is one unit or has none)
    marks: tuple[Mark, ...] = field(
        default=(), compare=False, repr=False, metadata={"merge": "concat", "json_item": Mark}
    )

    def label(self) -> str:
        """The one human locator of a span, on every route: ``path:12-30``, plus page, clause, speaker and
        timestamp where known. The locators themselves are those of the span's own text (docintel.cite.locators)."""
        lines = f"{self.start_line}" if self.start_line == self.end_line else f"{self.start_line}-{self.end_line}"
        parts = [f"{self.path}:{lines}"]
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.clause:
            parts.append(f"§ {self.clause}")
        if self.speaker:
            parts.append(self.speaker)
        if self.start_time is not None:
            parts.append(f"[{format_timestamp(self.start_time)}]")
        return " ".join(parts)

    def overlap(self, other: SourceSpan) -> int:
        """Characters shared with another span of the same file (0 for another file)."""
        if other.path != self.path:
            return 0
        return max(0, min(self.end, other.end) - max(self.start, other.start))

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "marks"}


def format_timestamp(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


SPAN_CORE: tuple[str, ...] = ("path", "start", "end", "start_line", "end_line")  # every span has these


def span_field_defaults() -> dict[str, Any]:
    """The kind-specific SourceSpan fields (everything past the core locator) with their defaults."""
    return {f.name: f.default for f in fields(SourceSpan) if f.name not in SPAN_CORE}


def merged_span_fields(spans: Sequence[SourceSpan]) -> dict[str, Any]:
    """The kind-specific fields of a span covering ``spans`` (in text order), by each field's ``merge`` rule."""
    out: dict[str, Any] = {}
    for f in fields(SourceSpan):
        if f.name in SPAN_CORE or not spans:
            continue
        values = [getattr(s, f.name) for s in spans]
        present = [v for v in values if v != f.default]
        rule = f.metadata.get("merge", "first")
        if rule == "concat":
            out[f.name] = tuple(item for v in present for item in v)
        elif rule == "same":
            out[f.name] = values[0] if len(set(values)) == 1 else f.default
        elif rule == "last":
            out[f.name] = present[-1] if present else f.default
        elif rule == "first_set":
            out[f.name] = present[0] if present else f.default
        else:  # first: the first segment's value (a chunk's page and clause are where it starts)
            out[f.name] = values[0]
    return out


@dataclass(frozen=True)
class Segment:
    """A unit of a document: a function, a clause, a transcript turn, a window of lines."""

    text: str
    span: SourceSpan
    tokens: int  # estimate (docintel.tokens); backends count exactly later
    unit: str  # function | class | method | statement | lines | article | section | clause | definition | turn | ...
    name: str | None = None  # qualified name ("Flask.route"), clause heading, speaker


@dataclass(frozen=True)
class Definition:
    """A named thing defined in a document: a code symbol or a contract's defined term."""

    name: str
    kind: str  # function | class | method | variable | term
    span: SourceSpan


@dataclass(frozen=True)
class Document:
    path: str  # POSIX path relative to the corpus root
    kind: Kind
    language: str | None  # "python", "go", ... for code; "pdf", "docx", "vtt", "srt", "markdown" otherwise
    sha256: str  # of the raw file bytes
    size: int  # bytes on disk
    text: str  # decoded (or extracted) text; spans index into it
    segments: tuple[Segment, ...] = ()
    definitions: tuple[Definition, ...] = ()
    references: tuple[str, ...] = ()  # identifier names used in the file (code), sorted, unique
    encoding: str = "utf-8"  # how a text file was decoded ("cp1252", "utf-16-le (BOM)", ...); PDF/DOCX: "utf-8"
    reason: str | None = None  # why it is of its kind, for kinds set aside from the corpus ("word list: ...")

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.segments)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str  # "binary", "gitignored", "lock file", "minified", "generated", "too large (5.1 MB > 2 MB)", ...


@dataclass(frozen=True)
class Corpus:
    root: Path  # absolute, resolved
    documents: tuple[Document, ...]  # sorted by path: the stable order of the full-context prefix
    skipped: tuple[SkippedFile, ...] = ()
    # Read but set aside (data files, vendored libraries, generated code: kinds whose plug-in says so): indexed and
    # searchable on request, never in the corpus map, the default retrieval pool, a full-context prompt or an audit.
    aside: tuple[Document, ...] = ()
    _by_path: dict[str, Document] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_path.update({d.path: d for d in (*self.documents, *self.aside)})

    def document(self, path: str) -> Document:
        """A document of the corpus, or one set aside (a search with data included may cite it)."""
        return self._by_path[path]

    def segments(self) -> Iterator[Segment]:
        for doc in self.documents:
            yield from doc.segments

    @property
    def tokens(self) -> int:
        return sum(d.tokens for d in self.documents)

    @property
    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for d in self.documents:
            counts[d.kind] = counts.get(d.kind, 0) + 1
        return counts

    @property
    def content_hash(self) -> str:
        """Identifies this exact corpus content: changes when any file is added, removed or edited."""
        h = hashlib.sha256()
        for d in self.documents:
            h.update(d.path.encode())
            h.update(b"\0")
            h.update(d.sha256.encode())
            h.update(b"\n")
        return h.hexdigest()
