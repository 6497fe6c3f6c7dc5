"""Decompression bombs: measure what a DOCX (a zip) or a PDF's streams would inflate to before a parser does it.

A 237 KB DOCX whose ``document.xml`` inflates to 100 MB took python-docx two minutes and 800 MB; a PDF content
stream can do the same to pypdf. Both formats say how big their parts are (zip: the central directory; PDF: we
inflate each Flate stream in 1 MB steps and stop at the limit), so the check costs milliseconds and never holds
more than a step in memory. Over a limit the file is skipped with a reason (InputError), not parsed.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from docintel.errors import InputError

MAX_INFLATED_BYTES = 64_000_000  # all parts together; real contracts stay far below (a 300-page DOCX is ~5 MB)
MAX_RATIO = 100  # inflated / stored, for a part above RATIO_MIN_BYTES; XML and text streams compress 5-20x
RATIO_MIN_BYTES = 4_000_000
_STEP = 1 << 20


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _refuse(rel_path: str, kind: str, what: str) -> InputError:
    return InputError(
        f"{kind} looks like a decompression bomb ({what}): skipped {rel_path}; re-export it if it is real"
    )


def _judge(rel_path: str, kind: str, part: str, inflated: int, stored: int, total: int) -> None:
    if inflated > RATIO_MIN_BYTES and inflated > MAX_RATIO * max(1, stored):
        ratio = inflated // max(1, stored)
        raise _refuse(rel_path, kind, f"{part} inflates {ratio}x, {_mb(stored)} -> {_mb(inflated)}")
    if total > MAX_INFLATED_BYTES:
        raise _refuse(rel_path, kind, f"parts inflate to over {_mb(MAX_INFLATED_BYTES)}")


def check_zip(rel_path: str, data: bytes, kind: str = "DOCX") -> None:
    """Raise InputError when the zip's parts would inflate too far (sizes from the central directory).

    The declared sizes bound what ``zipfile`` returns (it stops a member at its declared size), so a lying
    directory cannot get past this check. A file that is not a zip at all is left to the parser to report.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total = 0
    with archive:
        for info in archive.infolist():
            total += info.file_size
            _judge(rel_path, kind, info.filename, info.file_size, info.compress_size, total)


def inflated_size(raw: bytes, limit: int) -> int:
    """Bytes a zlib stream inflates to, counted in 1 MB steps; stops once over ``limit`` (returns > limit)."""
    inflater = zlib.decompressobj()
    size = 0
    pending = raw
    try:
        while pending:
            size += len(inflater.decompress(pending, _STEP))
            pending = inflater.unconsumed_tail
            if size > limit:
                return size
            if inflater.eof:
                break
    except zlib.error:
        pass  # a damaged stream: what inflated so far is what a parser could get
    return size


def check_pdf_streams(rel_path: str, reader: Any) -> None:
    """Raise InputError when the Flate streams a text extraction would read (page contents and form XObjects)
    inflate too far. ``reader`` is a ``pypdf.PdfReader``: its streams are read encoded and decoded only on use."""
    total = 0
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, 1):
        for stream in _page_streams(page):
            if id(stream) in seen:
                continue
            seen.add(id(stream))
            raw = getattr(stream, "_data", b"") or b""
            if not _is_flate(stream.get("/Filter")):
                total += len(raw)
                continue
            # stop as soon as either limit is passed: the ratio one is usually reached first, after a few MB
            ratio_limit = max(RATIO_MIN_BYTES, MAX_RATIO * len(raw))
            inflated = inflated_size(raw, min(MAX_INFLATED_BYTES - total, ratio_limit))
            total += inflated
            if inflated > ratio_limit:
                what = f"a stream on page {number} inflates over {MAX_RATIO}x, {_mb(len(raw))} -> over {_mb(inflated)}"
                raise _refuse(rel_path, "PDF", what)
            if total > MAX_INFLATED_BYTES:  # inflating stopped at the limit: the true size is unknown, and larger
                what = f"a stream on page {number} inflates to over {_mb(MAX_INFLATED_BYTES)} from {_mb(len(raw))}"
                raise _refuse(rel_path, "PDF", what)
            _judge(rel_path, "PDF", f"a stream on page {number}", inflated, len(raw), total)


def _is_flate(filters: Any) -> bool:
    if filters is None:
        return False
    names = [str(f) for f in (filters if isinstance(filters, list) else [filters])]
    return bool(names) and names[0] in ("/FlateDecode", "/Fl")


def _page_streams(page: Any) -> list[Any]:
    """The page's content streams and its form XObjects (one level: what text extraction reads first)."""
    found: list[Any] = []
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        items = contents if isinstance(contents, list) else [contents]
        found.extend(item.get_object() for item in items)
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                found.append(xobject)
    return [s for s in found if hasattr(s, "get")]
