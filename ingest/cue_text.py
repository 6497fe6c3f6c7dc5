"""What a subtitle cue says and who says it: markup stripped, speaker prefixes read, karaoke repeats dropped.

Subtitle files carry much more than the words: WebVTT voice tags (``<v Name>``), class and inline timestamp tags
(``<c>``, ``<00:00:01.020>``), SSA/ASS override blocks (``{\\c&H00FFFF&}``, ``{\\an8}``) and ``\\N`` line breaks,
diarization prefixes (``[SPEAKER_04]:``, ``SPEAKER_04:``, ``>> Name:``), and word-level exports that repeat a
growing or re-highlighted line in every cue. ``clean_cue`` turns one cue into (speaker, words); ``new_words``
keeps only what a cue adds to the line before it, so a karaoke export reads as the sentence it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>\s][^>]*)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d{1,2}:\d{2}(?::\d{2})?[.,]\d{1,3}>|</?v>")
_ASS_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_ASS_BREAK = re.compile(r"\\[Nnh]")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&nbsp;": " ", "&lrm;": "", "&rlm;": ""}
# "[SPEAKER_04]:", "[SPEAKER_04]", "[Alice]:" (never a "[00:12:34]" timestamp, "[Door closes]" or "[Music]")
_BRACKET_SPEAKER = re.compile(
    r"\[(?P<label>(?:SPEAKER|Speaker|speaker)[ _-]?\d{1,3})\][ \t]*:?[ \t]*"
    r"|\[(?P<name>[A-Z][\w .'-]{0,39}?)\][ \t]*:[ \t]*"
)
# ">> Alice:", ">>Alice:", ">> " (a new, unnamed speaker: the broadcast-caption convention)
_CHEVRONS = re.compile(r">>[ \t]*(?:(?P<name>[A-Z][^:\n<>]{0,59}?):[ \t]*)?")
# "Alice:", "SPEAKER_04:", "Dr. Bob Lee:", "- Carol:" at the start of a cue
_NAME_PREFIX = re.compile(r"[ \t]*(?:-[ \t]*)?(?P<name>[A-Z][^:\n<>]{0,119}?):(?:[ \t]+(?=\S)|[ \t]*$)")
_MAX_NAME_WORDS = 6
_SOUND_LABELS = {"MUSIC", "APPLAUSE", "LAUGHTER", "NOISE", "INAUDIBLE", "CROSSTALK", "SILENCE", "BLANK_AUDIO"}


@dataclass(frozen=True)
class CueText:
    speaker: str | None  # named in the cue itself (voice tag or prefix); None: continues the turn
    text: str  # the words, one line, markup removed
    new_turn: bool = False  # ">>" with no name: someone else speaks now


def clean_cue(raw: str, voice: str | None = None) -> CueText:
    """Speaker and plain words of one cue's raw text (``voice``: a voice already read by the VTT parser)."""
    speaker = voice.strip() if voice else None
    if speaker is None and (m := _VOICE.search(raw)):
        speaker = m.group(1).strip()
    text = _ASS_BREAK.sub(" ", _ASS_OVERRIDE.sub("", raw))
    text = _TAG.sub("", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = " ".join(text.split())
    if speaker is not None:  # a voice tag names the speaker: "Decision: ..." after it is what they said
        return CueText(speaker, text)
    named, new_turn, text = _speaker_prefix(text)
    return CueText(named, text, new_turn and not named)


def _speaker_prefix(text: str) -> tuple[str | None, bool, str]:
    """(speaker named at the start, whether a ``>>`` turn change opens it, the text after the prefix)."""
    if m := _CHEVRONS.match(text):
        name = (m.group("name") or "").strip()
        if name and len(name.split()) <= _MAX_NAME_WORDS:
            return name, True, text[m.end() :]
        return None, True, text[m.end() :].lstrip()
    if m := _BRACKET_SPEAKER.match(text):
        name = (m.group("label") or m.group("name")).strip()
        if name.upper().replace(" ", "_") not in _SOUND_LABELS:
            return name, False, text[m.end() :]
    if m := _NAME_PREFIX.match(text):
        name = m.group("name").strip()
        if len(name.split()) <= _MAX_NAME_WORDS and not name.endswith((".", ",", "?", "!")):
            return name, False, text[m.end() :]
    return None, False, text


def new_words(previous: str, current: str) -> str:
    """What ``current`` adds after ``previous``: all of it, unless it repeats ``previous`` (a re-highlighted
    karaoke line: nothing new) or starts with a tail of it (a growing line: the words after the overlap).

    An overlap counts when it is the whole previous line or at least three words, so a sentence that happens to
    start with the word the last one ended with is kept whole."""
    if not previous or not current:
        return current
    if current == previous:
        return ""
    prev_words, cur_words = previous.split(), current.split()
    for k in range(min(len(prev_words), len(cur_words)), 0, -1):
        if k < 3 and k != len(prev_words):
            break
        if prev_words[-k:] == cur_words[:k]:
            return " ".join(cur_words[k:])
    return current
