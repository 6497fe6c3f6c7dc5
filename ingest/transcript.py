"""Meeting transcripts (WebVTT, SRT, plain ``Speaker: text``) -> one segment per speaker turn.

Subtitle files (VTT, SRT) are parsed by webvtt-py and srt and then *extracted*, as a PDF is: the document text is
the clean conversation, one line per turn, ``[00:01:02] Speaker: what they said``, with no cue numbers, timing
lines, markup (voice/class tags, SSA/ASS overrides) or karaoke repeats (``docintel.ingest.cue_text``). Each cue
keeps its own times and speaker as a ``Mark`` over its words in that line, so a quote is cited with the times and
speaker of the cues it quotes (``docintel.cite.locators``). Plain ``Speaker: text`` files are already clean and keep
their text as on disk (one cue per speaker line). Consecutive cues of one speaker form a turn; a cue without a
label continues the current turn. A turn over ``MAX_TURN_TOKENS`` is cut at cue, then sentence, boundaries,
each piece keeping speaker, times and cues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from docintel.corpus import Document, Kind, Mark, Segment, SourceSpan, format_timestamp
from docintel.errors import InputError
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.cue_text import clean_cue, new_words
from docintel.ingest.lines import LineIndex
from docintel.ingest.split import split_range
from docintel.tokens import count_tokens

MAX_TURN_TOKENS = 600

# optional "[00:12:34]" / "00:12:34" / "(12:34)" before the speaker in a plain transcript
_PLAIN_TIME = re.compile(r"[ \t]*[\[(]?(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?[ \t]+")
# a plain transcript's speaker: "Alice:", "SPEAKER_04:", "[SPEAKER_04]:", ">> Alice:", "- Carol:"
_PLAIN_SPEAKER = re.compile(
    r"[ \t]*(?:>>[ \t]*|-[ \t]*)?(?:\[(?P<bracket>[A-Za-z][\w .'-]{0,39}?)\][ \t]*:?|(?P<name>[A-Z][^:\n<>]{0,119}?):)"
    r"(?:[ \t]+(?=\S)|[ \t]*(?:\r?\n|$))"
)


@dataclass(frozen=True)
class _Cue:
    offset: int  # where the cue's text starts in the document text
    end: int  # where it ends (the next cue's start)
    speaker: str | None
    start_time: float | None
    end_time: float | None
    new_turn: bool = False  # starts a turn even when the speaker is the same (a new line of a subtitle text)


@dataclass(frozen=True)
class _Said:
    """One cue as read from a subtitle file: who (if named), when, the clean words."""

    speaker: str | None
    start: float
    end: float
    text: str
    new_turn: bool = False


class TranscriptLoader:
    kind: Kind = "transcript"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        raw = decode_utf8(rel_path, data)
        suffix = PurePosixPath(rel_path).suffix.lower()
        if suffix in (".vtt", ".srt"):
            said = _vtt_said(rel_path, raw) if suffix == ".vtt" else _srt_said(rel_path, raw)
            text, cues = render_turns(said)
            language = suffix[1:]
        else:
            text, cues, language = raw, _plain_cues(raw), "text"
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
        for m in seg.span.marks or ():
            if m.speaker:
                seen.setdefault(m.speaker, None)
        if seg.span.speaker:
            seen.setdefault(seg.span.speaker, None)
    return list(seen)


def render_turns(said: list[_Said]) -> tuple[str, list[_Cue]]:
    """The clean conversation text (one ``[hh:mm:ss] Speaker: words`` line per turn) and its cues.

    Karaoke repeats are folded here: a cue that only re-shows the line before it extends that cue's end time;
    a cue that grows it contributes its new words only."""
    lines: list[str] = []
    cues: list[_Cue] = []
    offset = 0
    speaker: str | None = None
    line = ""
    line_cues: list[tuple[int, str | None, float, float]] = []  # (offset in line, speaker, start, end)
    previous_words = ""

    def flush() -> None:
        nonlocal offset, line, line_cues
        if not line_cues:
            return
        full = line + "\n"
        bounds = [c[0] for c in line_cues[1:]] + [len(full)]
        for (at, who, t0, t1), stop in zip(line_cues, bounds, strict=True):
            cues.append(_Cue(offset + at, offset + stop, who, t0, t1, new_turn=at == 0))
        lines.append(full)
        offset += len(full)
        line, line_cues = "", []

    for cue in said:
        words = new_words(previous_words, cue.text)
        if cue.text:
            previous_words = cue.text
        if not words:
            if line_cues and cue.text:  # the same line shown again: it lasts longer
                at, who, t0, t1 = line_cues[-1]
                line_cues[-1] = (at, who, t0, max(t1, cue.end))
            continue
        who = cue.speaker or (None if cue.new_turn else speaker)
        if not line_cues or who != speaker or cue.new_turn:
            flush()
            speaker = who
            line = f"[{format_timestamp(cue.start)}] " + (f"{who}: " if who else "")
            line_cues.append((0, who, cue.start, cue.end))
            line += words
            continue
        line_cues.append((len(line) + 1, who, cue.start, cue.end))  # the space before a cue belongs to it
        line += " " + words
    flush()
    return "".join(lines), cues


def turn_segments(rel_path: str, text: str, cues: list[_Cue]) -> list[Segment]:
    if not text:
        return []
    if not cues:
        cues = [_Cue(0, len(text), None, None, None)]
    # text before the first cue (a plain transcript's title lines) belongs to the first turn; cues tile the text
    cues[0] = replace(cues[0], offset=0)
    cues[-1] = replace(cues[-1], end=len(text))
    turns: list[list[_Cue]] = []
    for cue in cues:
        if turns and cue.speaker == turns[-1][0].speaker and not cue.new_turn:
            turns[-1].append(cue)
        else:
            turns.append([cue])
    lines = LineIndex(text)
    segments: list[Segment] = []
    for turn in turns:
        for group, tokens in _cap_turn(text, turn):
            first, last_end = group[0], group[-1].end
            pieces = (
                split_range(text, first.offset, last_end, MAX_TURN_TOKENS)
                if tokens > MAX_TURN_TOKENS  # one cue (one plain line) too long by itself
                else [(first.offset, last_end, tokens)]
            )
            for start, end, n in pieces:
                inside = [c for c in group if c.offset < end and c.end > start]
                marks = tuple(
                    Mark(max(c.offset, start), min(c.end, end), None, None, c.speaker, c.start_time, c.end_time)
                    for c in inside
                )
                line_first, line_last = lines.line_range(start, end)
                end_times = [c.end_time for c in inside if c.end_time is not None]
                span = SourceSpan(
                    rel_path,
                    start,
                    end,
                    line_first,
                    line_last,
                    speaker=first.speaker,
                    start_time=inside[0].start_time,
                    end_time=max(end_times) if end_times else None,
                    marks=marks if len(marks) > 1 else (),
                )
                segments.append(Segment(text[start:end], span, n, "turn", first.speaker))
    return segments


def _cap_turn(text: str, turn: list[_Cue]) -> list[tuple[list[_Cue], int]]:
    """Cut a long turn into runs of whole cues under the budget, with their token estimates (a single
    oversized cue stays alone and is cut by the caller)."""
    groups: list[tuple[list[_Cue], int]] = []
    for cue in turn:
        n = count_tokens(text[cue.offset : cue.end])
        if groups and groups[-1][1] + n <= MAX_TURN_TOKENS:
            groups[-1] = (groups[-1][0] + [cue], groups[-1][1] + n)
        else:
            groups.append(([cue], n))
    return groups


def _vtt_said(rel_path: str, text: str) -> list[_Said]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text.removeprefix("\ufeff"), strict=True).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as e:
        detail = str(e).splitlines()[0][:100] if str(e) else type(e).__name__
        raise InputError(f"malformed WebVTT ({detail}): fix or re-export {rel_path}") from None
    out: list[_Said] = []
    for caption in captions:
        cue = clean_cue(caption.raw_text, caption.voice)
        start, end = caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000
        out.append(_Said(cue.speaker, start, end, cue.text, cue.new_turn))
    return out


def _srt_said(rel_path: str, text: str) -> list[_Said]:
    import srt

    try:
        subtitles = list(srt.parse(text.removeprefix("\ufeff")))
    except (srt.SRTParseError, srt.TimestampParseError, ValueError) as e:
        detail = str(e).splitlines()[0][:100] if str(e) else type(e).__name__
        raise InputError(f"malformed SRT ({detail}): fix or re-export {rel_path}") from None
    if not subtitles and text.strip():
        raise InputError(f"malformed SRT (no subtitles found): fix or re-export {rel_path}")
    out: list[_Said] = []
    for sub in subtitles:
        cue = clean_cue(sub.content)
        out.append(_Said(cue.speaker, sub.start.total_seconds(), sub.end.total_seconds(), cue.text, cue.new_turn))
    return out


def _plain_cues(text: str) -> list[_Cue]:
    """Each ``Speaker: text`` line starts a cue; other lines continue the turn above them."""
    starts: list[tuple[int, str, float | None]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        pos, seconds = (1 if offset == 0 and line.startswith("\ufeff") else 0), None
        if m := _PLAIN_TIME.match(line, pos):
            pos, seconds = m.end(), _seconds(m.group("ts"))
        if m := _PLAIN_SPEAKER.match(line, pos):
            name = (m.group("bracket") or m.group("name")).strip()
            if len(name.split()) <= 12 and not name.endswith((".", ",", "?", "!")):
                starts.append((offset, name, seconds))
        offset += len(line)
    ends = [s[0] for s in starts[1:]] + [len(text)]
    return [_Cue(at, end, name, t, None) for (at, name, t), end in zip(starts, ends, strict=True)]


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total
