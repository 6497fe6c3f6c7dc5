"""Ingestion: a path on disk -> a Corpus of documents and segments, each segment with its SourceSpan.

One Loader per document family (``repo`` for code, ``contract``, ``transcript``, ``text``); the document kinds
(``docintel.kinds``, one plug-in per kind) say which kind claims a file and which loader reads it. ``walk`` decides
which files are read at all and reports every skip with its reason. Documents of kinds that are not corpus
(data files, vendored libraries, generated code) are kept apart in ``Corpus.aside``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from docintel.corpus import Corpus, Document, Kind, SkippedFile
from docintel.errors import InputError

Progress = Callable[[int, int, str], None]  # (done, total, current path)


@dataclass(frozen=True)
class IngestOptions:
    max_file_bytes: int = 2_000_000
    ignore_file: str = ".docintelignore"
    window_lines: int = 60  # line windows for text without structure
    window_overlap: int = 0


class Loader(Protocol):
    kind: Kind

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        """Parse one file. Raise InputError (one-line message) for a file that cannot be read."""
        ...


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_utf8(rel_path: str, data: bytes) -> str:
    """Decode a text file without translating newlines, so offsets match the file as other tools decode it: UTF-8,
    else the encoding ``docintel.ingest.encoding`` detects (UTF-16, cp1252, Latin-1, ...)."""
    from docintel.ingest.encoding import decode_text

    return decode_text(rel_path, data).text


def load_corpus(
    path: Path | str,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> Corpus:
    """Read a folder (or one file) into a Corpus. Files that cannot be read are skipped with a reason."""
    from docintel.ingest.paths import portable_name
    from docintel.ingest.walk import walk_files

    options = options or IngestOptions()
    given = Path(path).expanduser()
    if not given.exists():
        raise InputError(f"path not found: {given}")
    given = given.resolve()
    if given.is_file():
        root, files, skipped = given.parent, [portable_name(given.name)], []
    elif given.is_dir():
        root = given
        if progress:  # the walk of a big tree takes a while: let a progress bar start now, not after it
            progress(0, 0, "listing files")
        files, skipped = walk_files(root, options)
    else:
        raise InputError(f"not a file or folder: {given}")

    from docintel.ingest.pool import load_files

    documents: list[Document] = []
    for loaded in load_files(root, files, options, progress):
        if isinstance(loaded, SkippedFile):
            skipped.append(loaded)
        else:
            documents.append(loaded)
    if progress:
        progress(len(files), len(files), "")
    documents.sort(key=lambda d: d.path)
    from docintel.kinds import get_kind

    in_corpus = tuple(d for d in documents if get_kind(d.kind).in_corpus)
    aside = tuple(d for d in documents if not get_kind(d.kind).in_corpus)
    if not in_corpus:  # pointed at a data file or a folder of nothing else: that is what the user asks about
        in_corpus, aside = aside, ()
    skipped.sort(key=lambda s: s.path)
    return Corpus(root=root, documents=in_corpus, skipped=tuple(skipped), aside=aside)
