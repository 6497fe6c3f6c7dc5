"""Plain text without structure we know: windows of lines, split at blank lines where possible."""

from __future__ import annotations

from pathlib import PurePosixPath

from docintel.corpus import Document, Kind, Segment, SourceSpan
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.lines import LineIndex
from docintel.tokens import count_tokens

LANGUAGES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "text"}


def line_windows(rel_path: str, text: str, window: int, unit: str = "lines") -> list[Segment]:
    """Cut ``text`` into runs of about ``window`` lines, preferring to end a run at a blank line.

    Segments tile the text exactly (no gaps, no overlap), so every character is citable.
    """
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    index = LineIndex(text)
    segments: list[Segment] = []
    start_line = 0
    offset = 0
    while start_line < len(lines):
        end_line = min(len(lines), start_line + window)
        if end_line < len(lines):
            # look back up to a third of a window for a blank line to end on
            for cut in range(end_line, start_line + max(1, window * 2 // 3), -1):
                if not lines[cut - 1].strip():
                    end_line = cut
                    break
        chunk = "".join(lines[start_line:end_line])
        start, end = offset, offset + len(chunk)
        first, last = index.line_range(start, end)
        segments.append(
            Segment(
                text=chunk,
                span=SourceSpan(rel_path, start, end, first, last),
                tokens=count_tokens(chunk),
                unit=unit,
                name=None,
            )
        )
        offset = end
        start_line = end_line
    return segments


class TextLoader:
    kind: Kind = "text"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        text = decode_utf8(rel_path, data)
        return Document(
            path=rel_path,
            kind="text",
            language=LANGUAGES.get(PurePosixPath(rel_path).suffix.lower(), "text"),
            sha256=sha256_bytes(data),
            size=len(data),
            text=text,
            segments=tuple(line_windows(rel_path, text, options.window_lines)),
        )
