"""What a person or an agent is shown of an Answer: docintel's internal markers never reach them.

A model is told to end an answer that the context cannot support with ``INSUFFICIENT_CONTEXT`` (the pipeline reads
it for Self-Route and sets ``Answer.insufficient_context``). Front ends (CLI, TUI, MCP server) show the text with
that marker removed, and ``NO_CLEAR_ANSWER`` when nothing else is left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docintel.answer import NO_CLEAR_ANSWER, Answer
from docintel.assemble.context import INSUFFICIENT_MARKER
from docintel.egress.links import inert_markup, link_may_continue


def visible_text(text: str) -> str:
    """``text`` without the marker (a line holding only the marker is dropped); NO_CLEAR_ANSWER if that empties it."""
    lines = text.splitlines(keepends=True)
    cleaned = [line.replace(INSUFFICIENT_MARKER, "") for line in lines]
    out = "".join(c for c, raw in zip(cleaned, lines, strict=True) if c.strip() or not raw.strip())
    if INSUFFICIENT_MARKER in text and not out.strip():
        return NO_CLEAR_ANSWER + "\n"
    return out


def answer_json(answer: Answer) -> dict[str, Any]:
    """``Answer.to_dict()`` with the visible text."""
    data = answer.to_dict()
    data["answer"] = visible_text(answer.text)
    return data


class StreamFilter:
    """Passes streamed text to ``write`` as it arrives, holding back only a line that may still become the marker.
    Call ``close()`` after the last piece."""

    def __init__(self, write: Callable[[str], Any], *, flush: Callable[[], Any] | None = None) -> None:
        self._write = write
        self._flush = flush
        self._line = ""  # the current line, not yet written (it may be the marker)
        self._shown = False
        self._marker = False

    def __call__(self, text: str) -> None:
        self._line += text
        out: list[str] = []
        while "\n" in self._line:
            line, self._line = self._line.split("\n", 1)
            out.append(self._clean(line + "\n"))
        # a partial line is held while it may still become the marker, or an image or a link (docintel.egress.links)
        if self._line and not INSUFFICIENT_MARKER.startswith(self._line.strip()) and not link_may_continue(self._line):
            out.append(self._clean(self._line))
            self._line = ""
        self._emit("".join(out))

    def _clean(self, piece: str) -> str:
        piece = inert_markup(piece)  # nothing streamed is a fetchable image or a live link
        if INSUFFICIENT_MARKER in piece:
            self._marker = True
            piece = piece.replace(INSUFFICIENT_MARKER, "")
            if not piece.strip():
                return ""
        return piece

    def _emit(self, text: str) -> None:
        if not text:
            return
        self._shown = self._shown or bool(text.strip())
        self._write(text)
        if self._flush:
            self._flush()

    def close(self) -> None:
        rest, self._line = self._clean(self._line), ""
        self._emit(rest)
        if self._marker and not self._shown:
            self._emit(NO_CLEAR_ANSWER + "\n")
