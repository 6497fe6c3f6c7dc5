"""Meeting transcripts (WebVTT, SRT, plain ``Speaker: text``) -> one segment per speaker turn.

Cues are parsed by webvtt-py and srt (times, voice tags, validation); their blocks are then located in the raw
file by their timing lines, so a turn's span covers its cue blocks exactly as they are on disk and
``document.text[span.start:span.end] == segment.text``. Consecutive cues of one speaker form a turn; a cue
without a label continues the current turn. Segments tile the file (the header rides with the first turn) and a
turn over ``MAX_TURN_TOKENS`` is cut at cue, then sentence, boundaries, each piece keeping speaker and times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from docintel.corpus import Document, Kind, Segment, SourceSpan
from docintel.errors import InputError
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.lines import LineIndex
from docintel.ingest.split import split_range
from docintel.tokens import count_tokens

MAX_TURN_TOKENS = 600

_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>\s][^>]*)>")
# "Alice:", "Dr. Bob Lee:", "The Chair (Hon. Anthony Rota (Nipissing, Lib.)):" at the start of a cue or line
_NAME_PREFIX = re.compile(r"[ \t]*(?:-[ \t]*)?(?P<name>[A-Z][^:\n<>]{0,119}?):(?:[ \t]+(?=\S)|[ \t]*(?:\r?\n|$))")
# optional "[00:12:34]" / "00:12:34" / "(12:34)" before the speaker in a plain transcript
_PLAIN_TIME = re.compile(r"[ \t]*[\[(]?(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?[ \t]+")


@dataclass(frozen=True)
class _Cue:
    offset: int  # start of the cue block (or line) in the file text
    speaker: str | None
    start_time: float | None
    end_time: float | None


class TranscriptLoader:
    kind: Kind = "transcript"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        text = decode_utf8(rel_path, data)
        suffix = PurePosixPath(rel_path).suffix.lower()
        if suffix == ".vtt":
            cues, language = _vtt_cues(rel_path, text), "vtt"
        elif suffix == ".srt":
            cues, language = _srt_cues(rel_path, text), "srt"
        else:
            cues, language = _plain_cues(text), "text"
        return Document(
            path=rel_path,
            kind="transcript",
            language=language,
            sha256=sha256_bytes(data),
            size=len(data),
            text=text,
            segments=tuple(turn_segments(rel_path, text, cues)),
        )


def speakers(document: Document) -> list[str]:
    """Speakers of a transcript in order of first appearance (for the corpus map)."""
    seen: dict[str, None] = {}
    for seg in document.segments:
        if seg.span.speaker:
            seen.setdefault(seg.span.speaker, None)
    return list(seen)


def turn_segments(rel_path: str, text: str, cues: list[_Cue]) -> list[Segment]:
    if not text:
        return []
    if not cues:
        cues = [_Cue(0, None, None, None)]
    # the header (WEBVTT line, notes before the first cue) belongs to the first turn
    cues[0] = _Cue(0, cues[0].speaker, cues[0].start_time, cues[0].end_time)
    ends = [c.offset for c in cues[1:]] + [len(text)]
    turns: list[list[tuple[_Cue, int]]] = []
    for cue, end in zip(cues, ends, strict=True):
        if turns and cue.speaker == turns[-1][0][0].speaker:
            turns[-1].append((cue, end))
        else:
            turns.append([(cue, end)])
    lines = LineIndex(text)
    segments: list[Segment] = []
    for turn in turns:
        for group, tokens in _cap_turn(text, turn):
            first, last_end = group[0][0], group[-1][1]
            speaker = first.speaker
            end_time = max((c.end_time for c, _ in group if c.end_time is not None), default=None)
            pieces = (
                split_range(text, first.offset, last_end, MAX_TURN_TOKENS)
                if tokens > MAX_TURN_TOKENS  # one cue (one plain line) too long by itself
                else [(first.offset, last_end, tokens)]
            )
            for start, end, n in pieces:
                chunk = text[start:end]
                line_first, line_last = lines.line_range(start, end)
                span = SourceSpan(
                    rel_path,
                    start,
                    end,
                    line_first,
                    line_last,
                    speaker=speaker,
                    start_time=first.start_time,
                    end_time=end_time,
                )
                segments.append(Segment(chunk, span, n, "turn", speaker))
    return segments


def _cap_turn(text: str, turn: list[tuple[_Cue, int]]) -> list[tuple[list[tuple[_Cue, int]], int]]:
    """Cut a long turn into runs of whole cues under the budget, with their token estimates (a single
    oversized cue stays alone and is cut by the caller)."""
    groups: list[tuple[list[tuple[_Cue, int]], int]] = []
    for cue, end in turn:
        n = count_tokens(text[cue.offset : end])
        if groups and groups[-1][1] + n <= MAX_TURN_TOKENS:
            groups[-1] = (groups[-1][0] + [(cue, end)], groups[-1][1] + n)
        else:
            groups.append(([(cue, end)], n))
    return groups


def _label(raw: str) -> str | None:
    """The speaker a cue names: a ``<v Name>`` voice tag, else a ``Name:`` prefix."""
    if m := _VOICE.search(raw.split("\n", 1)[0]):
        return m.group(1).strip()
    if m := _NAME_PREFIX.match(raw):
        name = m.group("name").strip()
        if len(name.split()) <= 6:
            return name
    return None


def _timing_line_offsets(text: str) -> list[int]:
    """Start of each cue block: its identifier line when it has one, else its ``-->`` timing line."""
    starts: list[int] = []
    offset = 0
    prev_start, prev_line, prev_blank_before = -1, "", True
    blank_before = True
    for line in text.splitlines(keepends=True):
        if "-->" in line:
            if prev_line.strip() and "-->" not in prev_line and prev_blank_before:
                starts.append(prev_start)
            else:
                starts.append(offset)
        prev_start, prev_line, prev_blank_before = offset, line, blank_before
        blank_before = not line.strip()
        offset += len(line)
    return starts


def _vtt_cues(rel_path: str, text: str) -> list[_Cue]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text.removeprefix("\ufeff"), strict=True).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as e:
        detail = str(e).splitlines()[0][:100] if str(e) else type(e).__name__
        raise InputError(f"malformed WebVTT ({detail}): fix or re-export {rel_path}") from None
    starts = _timing_line_offsets(text)
    if len(starts) != len(captions):
        raise InputError(f"malformed WebVTT (cue blocks could not be aligned): fix or re-export {rel_path}")
    cues: list[_Cue] = []
    speaker: str | None = None
    for caption, start in zip(captions, starts, strict=True):
        speaker = caption.voice or _label(caption.raw_text) or speaker
        cues.append(
            _Cue(start, speaker, caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000)
        )
    return cues


def _srt_cues(rel_path: str, text: str) -> list[_Cue]:
    import srt

    try:
        subtitles = list(srt.parse(text.removeprefix("\ufeff")))
    except (srt.SRTParseError, srt.TimestampParseError, ValueError) as e:
        detail = str(e).splitlines()[0][:100] if str(e) else type(e).__name__
        raise InputError(f"malformed SRT ({detail}): fix or re-export {rel_path}") from None
    if not subtitles and text.strip():
        raise InputError(f"malformed SRT (no subtitles found): fix or re-export {rel_path}")
    starts = _timing_line_offsets(text)
    if len(starts) != len(subtitles):
        raise InputError(f"malformed SRT (cue blocks could not be aligned): fix or re-export {rel_path}")
    cues: list[_Cue] = []
    speaker: str | None = None
    for sub, start in zip(subtitles, starts, strict=True):
        speaker = _label(sub.content) or speaker
        cues.append(_Cue(start, speaker, sub.start.total_seconds(), sub.end.total_seconds()))
    return cues


def _plain_cues(text: str) -> list[_Cue]:
    """Each ``Speaker: text`` line starts a cue; other lines continue the turn above them."""
    cues: list[_Cue] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        pos, seconds = (1 if offset == 0 and line.startswith("\ufeff") else 0), None
        if m := _PLAIN_TIME.match(line):
            pos, seconds = m.end(), _seconds(m.group("ts"))
        if m := _NAME_PREFIX.match(line, pos):
            name = m.group("name").strip()
            if len(name.split()) <= 12 and not name.endswith((".", ",", "?", "!")):
                cues.append(_Cue(offset, name, seconds, None))
        offset += len(line)
    return cues


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total
