"""Source code: tree-sitter units (functions, classes, methods, runs of top-level statements), definitions and
referenced identifiers per file. Languages without a unit table, and files the parser cannot read, fall back to
line windows so every file is still citable."""

from __future__ import annotations

import bisect
import re
from typing import Any

from docintel.corpus import Definition, Document, Kind, Segment, SourceSpan
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.code_units import SPECS, Found, Piece, cut_units, find_definitions, identifier_names
from docintel.ingest.detect import language_of
from docintel.ingest.text import line_windows
from docintel.tokens import count_tokens

_parsers: dict[str, Any] = {}


def _parser(language: str) -> Any:
    if language not in _parsers:
        from tree_sitter_language_pack import get_parser

        _parsers[language] = get_parser(language)  # type: ignore[arg-type]
    return _parsers[language]


class ByteOffsets:
    """Byte offset of the raw file -> character offset of the decoded text (identity for ASCII files)."""

    def __init__(self, data: bytes, text: str) -> None:
        self._data = data
        self._identity = len(data) == len(text)
        if not self._identity:
            self._byte_starts = [0, *(m.end() for m in re.finditer(b"\n", data))]
            self._char_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def char(self, byte: int) -> int:
        if self._identity:
            return byte
        i = bisect.bisect_right(self._byte_starts, byte) - 1
        line_start = self._byte_starts[i]
        return self._char_starts[i] + len(self._data[line_start:byte].decode("utf-8", errors="replace"))


class CodeLoader:
    kind: Kind = "code"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        text = decode_utf8(rel_path, data)
        language = language_of(rel_path)
        segments: list[Segment] = []
        definitions: tuple[Definition, ...] = ()
        references: tuple[str, ...] = ()
        spec = SPECS.get(language or "")
        if language and spec and text:
            try:
                tree = _parser(language).parse(data)
            except Exception:  # a grammar that fails to load or parse: still readable as lines
                tree = None
            if tree is not None:
                offsets = ByteOffsets(data, text)
                pieces = cut_units(tree.root_node, data, spec)
                segments = _segments(rel_path, text, data, pieces, offsets)
                found = find_definitions(tree.root_node, spec)
                definitions = tuple(_definition(rel_path, f, offsets) for f in found)
                names = identifier_names(tree.root_node, data, language, spec)
                for f in found:  # drop the declaration site itself: a name only defined here is no reference
                    names[f.name.rsplit(".", 1)[-1]] -= 1
                references = tuple(sorted(n for n, count in names.items() if count > 0))
        if text and not segments:
            segments = line_windows(rel_path, text, options.window_lines)
        return Document(
            path=rel_path,
            kind="code",
            language=language,
            sha256=sha256_bytes(data),
            size=len(data),
            text=text,
            segments=tuple(segments),
            definitions=definitions,
            references=references,
        )


def _segments(rel_path: str, text: str, data: bytes, pieces: list[Piece], offsets: ByteOffsets) -> list[Segment]:
    bounds = [(offsets.char(p.start), offsets.char(p.end)) for p in pieces]
    texts = [text[start:end] for start, end in bounds]
    tokens = [count_tokens(t) for t in texts]
    segments = []
    line = 1  # line of pieces[i].start, counted incrementally (pieces are in order)
    previous = 0
    for piece, (start, end), chunk, n_tokens in zip(pieces, bounds, texts, tokens, strict=True):
        line += data.count(b"\n", previous, piece.start)
        previous = piece.start
        last = line + chunk.count("\n", 0, max(0, len(chunk) - 1))
        segments.append(Segment(chunk, SourceSpan(rel_path, start, end, line, last), n_tokens, piece.unit, piece.name))
    return segments


def _definition(rel_path: str, found: Found, offsets: ByteOffsets) -> Definition:
    span = SourceSpan(
        rel_path, offsets.char(found.start), offsets.char(found.end), found.start_row + 1, found.end_row + 1
    )
    return Definition(found.name, found.kind, span)
