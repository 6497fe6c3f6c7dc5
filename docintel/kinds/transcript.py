"""Transcripts: VTT, SRT, and prose whose lines are ``Speaker: text`` (``docintel.ingest.transcript`` reads them
into turns with speaker and timestamps)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from docintel.corpus import Document, Segment, format_timestamp
from docintel.ingest.detect import PROSE_EXTENSIONS, TRANSCRIPT_EXTENSIONS, looks_like_transcript
from docintel.kinds.base import (
    DocumentKind,
    FileSample,
    OutlineDraft,
    OutlineNode,
    budgeted,
    document_label,
    document_span,
    tokens_label,
)
from docintel.words import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")


class TranscriptKind(DocumentKind):
    name = "transcript"
    title = "Meetings"
    map_title = "Meetings: speakers and topics"
    loader = "docintel.ingest.transcript:TranscriptLoader"
    priority = 40
    span_fields = ("speaker", "start_time", "end_time", "marks")

    def detect(self, sample: FileSample) -> str | None:
        if sample.suffix in TRANSCRIPT_EXTENSIONS:
            return f"{sample.suffix[1:].upper()} captions"
        if sample.suffix in PROSE_EXTENSIONS and looks_like_transcript(sample.head):
            return "Speaker: text lines"
        return None

    def map_section(self, documents: Sequence[Document], budget_tokens: int) -> list[str]:
        """Per meeting: speakers by turn count and the words most distinctive of that meeting."""
        word_counts = {d.path: Counter(w.lower() for w in _WORD.findall(d.text)) for d in documents}
        df: Counter[str] = Counter()
        for counts in word_counts.values():
            df.update(counts.keys())
        lines: list[str] = []
        for d in documents:
            speakers = Counter(s.span.speaker for s in d.segments if s.span.speaker)
            times = [s.span.end_time for s in d.segments if s.span.end_time is not None]
            length = f", {times[-1] / 60:.0f} min" if times else ""
            lines.append(f"{d.path} ({len(d.segments)} turns{length}):")
            if speakers:
                ranked = sorted(speakers.items(), key=lambda kv: (-kv[1], kv[0]))
                lines.append("  speakers: " + ", ".join(f"{name} ({n})" for name, n in ranked))
            counts = word_counts[d.path]
            scored = [
                (c * math.log((len(documents) + 1) / df[w]), w)
                for w, c in counts.items()
                if w not in STOPWORDS and c >= 2
            ]
            top = [w for _, w in sorted(scored, key=lambda t: (-t[0], t[1]))[:8]]
            if top:
                lines.append("  topics: " + ", ".join(top))
        return budgeted(lines, budget_tokens)

    def outline(self, documents: Sequence[Document]) -> list[OutlineNode]:
        """Per meeting: its speakers (turn count, tokens), each with their turns."""
        nodes = []
        for document in documents:
            meeting = OutlineDraft(document_label(document), document_span(document), expand=True, leaf=False)
            turns: dict[str, list[Segment]] = {}
            for segment in document.segments:
                turns.setdefault(segment.span.speaker or segment.name or "(unknown)", []).append(segment)
            for speaker, said in turns.items():
                tokens = sum(s.tokens for s in said)
                node = meeting.add(f"{speaker} · {len(said)} turns  {tokens_label(tokens)}", said[0].span)
                node.leaf = False
                node.children.extend(OutlineNode(turn_label(s), s.span) for s in said)
            nodes.append(meeting.freeze())
        return nodes

    def chunk_parent(self, segment: Segment) -> str:
        if segment.unit == "turn":
            return "turns"  # a conversation: consecutive turns merge whoever speaks
        return super().chunk_parent(segment)


def turn_label(segment: Segment) -> str:
    when = f"[{format_timestamp(segment.span.start_time)}] " if segment.span.start_time is not None else ""
    # the last line is what was said (a caption's first lines are its number and timing)
    said = segment.text.strip().splitlines()[-1] if segment.text.strip() else ""
    return f"{when}L{segment.span.start_line}: {said[:40]}"


KIND = TranscriptKind()
