"""Chunks: the retrieval units, built from ingestion segments and sized for the embedding model.

A chunk is a run of one document's text: small adjacent segments of the same parent are merged (consecutive
transcript turns, the clauses of one section, the methods of one class), big ones are split at the most natural
boundary (blank line, line, sentence) by ``docintel.ingest.split``. Chunks never cross documents and their span
round-trips: ``document.text[chunk.span.start:chunk.span.end] == chunk.text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from docintel.cite.locators import located, segment_marks
from docintel.corpus import Document, Segment, SourceSpan, merged_span_fields
from docintel.ingest.lines import LineIndex
from docintel.ingest.split import split_range
from docintel.kinds import get_kind
from docintel.tokens import count_tokens, count_tokens_batch

CONTEXT_SEPARATOR = " · "
EMBED_WINDOW_PIECES = 256  # all-MiniLM-L6-v2 (the default embedder) reads 256 word pieces, [CLS] and [SEP] included


def window_chunk_sizes(window_pieces: int = EMBED_WINDOW_PIECES) -> tuple[int, int]:
    """Chunk sizes (target, max) in cl100k tokens whose embedding input fits a window of ``window_pieces`` word
    pieces. WordPiece gives ~1.2-1.4 pieces per cl100k token on code and legal prose: for 256 pieces, 200/260 leaves
    2-3% of chunk text past the window, against 17-24% with the earlier 300/400 (benchmarks/bench_index_speed.py)."""
    target = max(16, round(window_pieces * 0.78))
    return target, round(target * 1.3)


_MAX_CONTEXT_NAMES = 3


@dataclass(frozen=True)
class Chunk:
    id: str  # content-derived: path, offsets and text; unique in one index
    text: str  # == document.text[span.start:span.end]
    span: SourceSpan
    tokens: int
    unit: str  # the (first) ingestion unit type
    name: str | None  # unit name / clause heading / speaker
    context: str  # header for embedding: "src/flask/app.py · Flask.route", "meeting.vtt · Alice, Bob"

    @property
    def embed_text(self) -> str:
        """What the embedding model reads: the context header, then the text. The header names the file by its
        base name, not by its path under the corpus root, so the same file read as part of a folder, a sub-folder
        or alone (or a copy of it elsewhere) is the same input, and its vector comes from the shared embedding
        cache (docintel.index.embed_cache). The full path stays in ``context`` for BM25 and for display."""
        context = self.context
        if context.startswith(self.span.path):
            context = self.span.path.rsplit("/", 1)[-1] + context[len(self.span.path) :]
        return f"{context}\n{self.text}"


def chunk_id(path: str, start: int, end: int, text: str) -> str:
    text_hash = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    # surrogateescape: a path that still carries an undecodable byte hashes instead of raising
    key = f"{path}\0{start}\0{end}\0{text_hash}".encode("utf-8", "surrogateescape")
    return hashlib.sha1(key).hexdigest()[:20]


@dataclass
class _Piece:
    """A range of one segment (the whole segment, or a part of a big one)."""

    start: int
    end: int
    tokens: int
    segment: Segment


def _pieces(document: Document, target_tokens: int, max_tokens: int) -> list[_Piece]:
    """Segments in text order, without overlaps, big ones split to about ``target_tokens``."""
    pieces: list[_Piece] = []
    covered = 0
    for segment in sorted(document.segments, key=lambda s: (s.span.start, -s.span.end)):
        start, end = max(segment.span.start, covered), segment.span.end
        if end <= start:
            continue  # nested in (or equal to) an earlier segment: its text is already in a chunk
        covered = end
        tokens = segment.tokens if start == segment.span.start else count_tokens(document.text[start:end])
        if tokens <= max_tokens:
            pieces.append(_Piece(start, end, tokens, segment))
            continue
        for p_start, p_end, p_tokens in split_range(document.text, start, end, target_tokens):
            pieces.append(_Piece(p_start, p_end, p_tokens, segment))
    return pieces


def _groups(document: Document, pieces: list[_Piece], target_tokens: int) -> list[list[_Piece]]:
    """Merge runs of small neighbouring pieces of one parent while they stay within ``target_tokens``. The
    document's kind says what a segment's parent is (``DocumentKind.chunk_parent``)."""
    parent = get_kind(document.kind).chunk_parent
    groups: list[list[_Piece]] = []
    group_tokens = 0
    for piece in pieces:
        if groups:
            last = groups[-1][-1]
            # A tiny group (a heading, a one-line clause, imports) joins whatever follows it.
            related = parent(last.segment) == parent(piece.segment) or group_tokens < target_tokens // 4
            if (
                related
                and last.segment is not piece.segment  # parts of one split segment stay apart
                and group_tokens + piece.tokens <= target_tokens
            ):
                gap = count_tokens(document.text[last.end : piece.start]) if piece.start > last.end else 0
                if group_tokens + gap + piece.tokens <= target_tokens:
                    groups[-1].append(piece)
                    group_tokens += gap + piece.tokens
                    continue
        groups.append([piece])
        group_tokens = piece.tokens
    return groups


def _context(path: str, names: list[str]) -> str:
    distinct = list(dict.fromkeys(names))
    if not distinct:
        return path
    shown = ", ".join(distinct[:_MAX_CONTEXT_NAMES])
    if len(distinct) > _MAX_CONTEXT_NAMES:
        shown += ", …"
    return f"{path}{CONTEXT_SEPARATOR}{shown}"


def build_chunks(document: Document, target_tokens: int = 300, max_tokens: int = 400) -> list[Chunk]:
    """The chunks of one document, in text order. Segments above ``max_tokens`` are split into pieces of at
    most ``target_tokens``; neighbouring segments of one parent are merged up to ``target_tokens``."""
    if target_tokens < 1 or max_tokens < target_tokens:
        raise ValueError(f"need 1 <= target_tokens <= max_tokens, got {target_tokens}, {max_tokens}")
    pieces = _pieces(document, target_tokens, max_tokens)
    if not pieces:
        return []
    lines = LineIndex(document.text)
    groups = _groups(document, pieces, target_tokens)
    texts = [document.text[g[0].start : g[-1].end] for g in groups]
    token_counts = count_tokens_batch(texts)
    chunks: list[Chunk] = []
    for group, text, tokens in zip(groups, texts, token_counts, strict=True):
        first, last = group[0], group[-1]
        segments = list(dict.fromkeys(id(p.segment) for p in group))  # distinct, in order
        by_id = {id(p.segment): p.segment for p in group}
        spans = [by_id[s].span for s in segments]
        start_line, end_line = lines.line_range(first.start, last.end)
        # kind-specific fields by each field's merge rule (docintel.corpus.SourceSpan), never listed here
        fields = merged_span_fields(spans)
        fields["marks"] = segment_marks((by_id[s] for s in segments), first.start, last.end)
        span = SourceSpan(
            path=document.path, start=first.start, end=last.end, start_line=start_line, end_line=end_line, **fields
        )
        span = located(span, text)  # the locators of the chunk's own text, as any citation of it will get
        names = [n for s in segments if (n := by_id[s].name)]
        # Definitions that start inside the chunk name it better than its segment (a method of a split class).
        inner = [d.name for d in document.definitions if first.start <= d.span.start < last.end]
        chunks.append(
            Chunk(
                id=chunk_id(document.path, span.start, span.end, text),
                text=text,
                span=span,
                tokens=tokens,
                unit=first.segment.unit,
                name=names[0] if names else None,
                context=_context(document.path, [*names, *inner]),
            )
        )
    return chunks
