"""What a document kind is: one plug-in value that every stage asks instead of testing a kind's name.

A kind says which files it claims (detection), which loader reads them, which span fields its spans carry, its
section of the corpus map, its outline (the TUI's corpus tree), how its segments group into chunks, the checklist
an audit of a corpus of this kind uses, and whether its documents belong to the corpus at all (data files,
vendored libraries and generated code are read, indexed and searchable on request, but set aside).
Every method has a working default, so a kind that overrides nothing is still listed, mapped and outlined.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from docintel.corpus import Document, Segment, SourceSpan
from docintel.ingest.encoding import UTF16_SNIFF, utf16_byte_order
from docintel.tokens import count_tokens

if TYPE_CHECKING:
    from docintel.ingest import IngestOptions

SNIFF_CHARS = 200_000  # content rules read at most this much of a file
_CLAUSE_ROOT = re.compile(r"^[^.(\s]+")


@dataclass(frozen=True)
class OutlineNode:
    """One node of a corpus outline (the TUI's tree): a label, the span it shows, and its children."""

    label: str
    span: SourceSpan | None = None
    children: tuple[OutlineNode, ...] = ()
    expand: bool = False
    leaf: bool | None = None  # None: a leaf exactly when it has no children


@dataclass
class OutlineDraft:
    """A node being built (children arrive later, as a walk meets them); ``freeze`` gives the OutlineNode."""

    label: str
    span: SourceSpan | None = None
    expand: bool = False
    leaf: bool | None = None
    children: list[OutlineDraft | OutlineNode] = field(default_factory=list)

    def add(self, label: str, span: SourceSpan | None = None, *, expand: bool = False) -> OutlineDraft:
        child = OutlineDraft(label, span, expand)
        self.children.append(child)
        return child

    def freeze(self) -> OutlineNode:
        children = tuple(c.freeze() if isinstance(c, OutlineDraft) else c for c in self.children)
        return OutlineNode(self.label, self.span, children, self.expand, self.leaf)


class FileSample:
    """One file as detection rules see it: its path, bytes, and (decoded once, on first use) its head as text."""

    def __init__(self, rel_path: str, data: bytes) -> None:
        self.rel_path = rel_path
        self.data = data
        pure = PurePosixPath(rel_path)
        self.name = pure.name.lower()
        self.suffix = pure.suffix.lower()
        self.folders = tuple(p.lower() for p in pure.parts[:-1])

    @cached_property
    def head(self) -> str:
        head = self.data[:SNIFF_CHARS]
        # UTF-16 text (a Windows export) is read as such, so the rules see its words, not NUL-separated letters
        order = utf16_byte_order(head[:UTF16_SNIFF]) if b"\0" in head[:UTF16_SNIFF] else None
        if order is not None:
            return head[: len(head) - len(head) % 2].decode(order, errors="ignore").lstrip("\ufeff")
        return head.decode("utf-8", errors="ignore")


def budgeted(lines: Iterable[str], budget_tokens: int) -> list[str]:
    """Lines in order until the budget is spent; a last line says how many were left out."""
    out: list[str] = []
    used = 0
    pending = list(lines)
    for i, line in enumerate(pending):
        cost = count_tokens(line) + 1
        if used + cost > budget_tokens:
            out.append(f"… ({len(pending) - i} more lines left out of the map)")
            break
        out.append(line)
        used += cost
    return out


def tokens_label(tokens: int) -> str:
    return f"{tokens:,} tok"


def document_span(document: Document) -> SourceSpan:
    """A span covering the whole document (what selecting a file in the outline shows)."""
    return SourceSpan(document.path, 0, len(document.text), 1, document.text.count("\n") + 1)


def document_label(document: Document, name: str | None = None) -> str:
    return f"{name or document.path}  {tokens_label(document.tokens)}"


class DocumentKind:
    """The defaults of every kind: plain documents, listed in the map and the outline, chunked by unit."""

    name: str = "text"
    title: str = "Text"  # the group's title in the corpus outline
    map_title: str = "Other documents"  # the heading of its corpus-map section
    # its Loader: "module:Class" (imported on first use, so heavy parsers load only when their kind appears) or a class
    loader: str | Callable[[], Any] = "docintel.ingest.text:TextLoader"
    priority: int = 100  # detection order: lower claims first
    in_corpus: bool = True  # False: set aside (indexed, searchable on request; no map, pool, full prompt, audit)
    relabel: bool = False  # the loader belongs to another kind: documents get this kind's name and the reason
    checklist: str | None = None  # packaged checklist `docintel audit` picks for a corpus of this kind
    span_fields: tuple[str, ...] = ()  # the SourceSpan fields (docintel.corpus) its spans set
    project_files: tuple[str, ...] = ()  # file names that make a folder a project of this kind (manage.py)

    def __init__(self, name: str | None = None) -> None:
        if name is not None:  # a kind nobody registered: the defaults under its own name (see docintel.kinds)
            self.name = name
            self.title = name.title()
            self.map_title = f"Documents of kind {name}"

    # -- ingestion -----------------------------------------------------------------------------------------
    def detect(self, sample: FileSample) -> str | None:
        """Why ``sample`` is of this kind (a short phrase, may be empty), or None when it is not."""
        return None

    @cached_property
    def _loader(self) -> Any:
        if not isinstance(self.loader, str):
            return self.loader()
        module_name, cls_name = self.loader.split(":")
        return getattr(importlib.import_module(module_name), cls_name)()

    def prepare(self) -> None:
        """Import the loader now (the ingest pool does before forking, so workers share it)."""
        _ = self._loader

    def load(self, rel_path: str, data: bytes, options: IngestOptions, reason: str | None = None) -> Document:
        """Read one file with this kind's loader (InputError, one line, for a file that cannot be read)."""
        document: Document = self._loader.load(rel_path, data, options)
        if self.relabel:
            return replace(document, kind=self.name, reason=reason or None)
        return document

    # -- corpus map, outline, chunks -----------------------------------------------------------------------
    def map_section(self, documents: Sequence[Document], budget_tokens: int) -> list[str]:
        """Lines of this kind's corpus-map section: each document with its size and first line."""
        lines = []
        for d in documents:
            first = next((ln.strip("# ").strip() for ln in d.text.splitlines() if ln.strip()), "")
            lines.append(f"{d.path} ({d.tokens:,} tokens): {first[:80]}")
        return budgeted(lines, budget_tokens)

    def outline(self, documents: Sequence[Document]) -> list[OutlineNode]:
        """The nodes under this kind's group in the corpus outline: one leaf per document."""
        return [OutlineNode(document_label(d), document_span(d)) for d in documents]

    def chunk_parent(self, segment: Segment) -> str:
        """What a segment may be merged with into one chunk: neighbours with the same parent only."""
        if segment.span.clause:
            match = _CLAUSE_ROOT.match(segment.span.clause)
            return f"clause:{match.group(0) if match else segment.span.clause}"
        return f"unit:{segment.unit}"
