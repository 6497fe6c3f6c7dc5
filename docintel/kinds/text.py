"""Text: any readable file no other kind claims (README, notes, config), cut into windows of lines."""

from __future__ import annotations

from docintel.kinds.base import DocumentKind, FileSample


class TextKind(DocumentKind):
    name = "text"
    title = "Text"
    map_title = "Other documents"
    loader = "docintel.ingest.text:TextLoader"
    priority = 1000  # the fallback: claims whatever is left

    def detect(self, sample: FileSample) -> str | None:
        return ""


KIND = TextKind()
