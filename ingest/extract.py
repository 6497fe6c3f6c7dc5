"""PDF and DOCX -> plain text that spans can index, with the structure the text alone would lose.

PDF (pypdf): pages are joined with a blank line and each page's start offset is kept, so a span knows its page.
DOCX (python-docx): one line per paragraph and per table row (cells joined by `` | ``), in body order; Word's
automatic numbering ("1.1", "(a)") is rendered into the line where numbering.xml says how, because a clause
number that only exists as list formatting is still the number a reader cites. Heading-styled paragraphs are
reported so the clause segmenter can treat them as headings. DOCX has no stable pages: spans carry lines
(= paragraphs) and the segment name carries the heading context instead.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docintel.errors import InputError
from docintel.ingest.bombs import check_pdf_streams, check_zip
from docintel.ingest.docx_numbering import DocxNumbering


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in ``text`` where page i+1 begins
    heading_starts: frozenset[int] = field(default_factory=frozenset)  # DOCX: offsets of heading lines
    numbered_starts: frozenset[int] = field(default_factory=frozenset)  # DOCX: lines Word numbering numbers


def extract_pdf(rel_path: str, data: bytes) -> Extracted:
    try:
        import pypdf
        from pypdf.errors import PyPdfError
    except ImportError as e:  # pragma: no cover - pypdf is a core dependency
        raise InputError(f"pypdf is not installed, cannot read {rel_path}: pip install pypdf") from e

    # pypdf logs every recovered xref glitch; the one-line skip reason is what the user needs
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"encrypted PDF {rel_path}: remove the password and re-export it")
        check_pdf_streams(rel_path, reader)  # before any stream is inflated by text extraction
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as e:
        raise InputError(f"corrupt PDF ({_reason(e)}): re-export {rel_path} or remove it") from None
    if not pages:
        raise InputError(f"corrupt PDF (no pages): re-export {rel_path} or remove it")
    if not any(p.strip() for p in pages):
        raise InputError(
            f"no extractable text in {rel_path} (a scanned PDF?): OCR is not supported, add a text layer first"
        )
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for n, page in enumerate(pages):
        chunk = page.rstrip("\n") + ("\n\n" if n < len(pages) - 1 else "\n")
        starts.append(offset)
        parts.append(chunk)
        offset += len(chunk)
    return Extracted(text="".join(parts), page_starts=tuple(starts))


def extract_docx(rel_path: str, data: bytes) -> Extracted:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as e:  # pragma: no cover - python-docx is a core dependency
        raise InputError(f"python-docx is not installed, cannot read {rel_path}: pip install python-docx") from e
    import zipfile

    check_zip(rel_path, data, "DOCX")  # before python-docx inflates every part
    try:
        document = docx.Document(io.BytesIO(data))
        numbering = DocxNumbering(document)
        lines: list[str] = []
        headings: set[int] = set()
        numbered: set[int] = set()
        offset = 0
        for line, is_heading, has_number in _body_lines(document, numbering):
            if is_heading:
                headings.add(offset)
            if has_number:
                numbered.add(offset)
            lines.append(line)
            offset += len(line) + 1
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError) as e:
        raise InputError(f"corrupt DOCX ({_reason(e)}): re-export {rel_path} or remove it") from None
    text = "\n".join(lines) + "\n" if lines else ""
    if not text.strip():
        raise InputError(f"no text in {rel_path}: the DOCX has no paragraphs or tables")
    return Extracted(text=text, heading_starts=frozenset(headings), numbered_starts=frozenset(numbered))


def _reason(e: Exception) -> str:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg[:120]


def _body_lines(document: Any, numbering: DocxNumbering) -> Iterator[tuple[str, bool, bool]]:
    """Paragraphs and table rows in body order (content controls opened): (line, is_heading, numbered)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in _blocks(document.element.body):
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            text = _one_line(para.text)
            number = numbering.label(block)
            style = (para.style.name or "") if para.style is not None else ""
            is_heading = style.startswith(("Heading", "Title"))
            line = f"{number} {text}" if number and text else text
            yield line, is_heading and bool(line.strip()), bool(number and text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    # numbered paragraphs in cells count in their lists: later numbers depend on them
                    parts = []
                    for p in cell._tc.iter(f"{_W}p"):
                        words = _one_line(Paragraph(p, document).text)
                        number = numbering.label(p)
                        parts.append(f"{number} {words}" if number and words else words)
                    value = " ".join(part for part in parts if part)
                    if not cells or cells[-1] != value:  # merged cells repeat their text
                        cells.append(value)
                yield " | ".join(cells), False, False
            yield "", False, False


def _blocks(parent: Any) -> Iterator[Any]:
    """Body-level paragraphs and tables in order, looking inside content controls (w:sdt) and skipping the
    paragraphs a tracked change deleted (Word shows neither their text nor their number)."""
    for block in parent.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "sdt":
            content = block.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif tag == "p" and block.find(f"{_W}pPr/{_W}rPr/{_W}del") is not None and not _has_live_text(block):
            continue
        elif tag in ("p", "tbl"):
            yield block


def _has_live_text(p: Any) -> bool:
    return any((t.text or "").strip() for r in p.findall(f"{_W}r") for t in r.findall(f"{_W}t"))


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
