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


@dataclass(frozen=True)
class Extracted:
    text: str
    page_starts: tuple[int, ...] = ()  # PDF: offset in ``text`` where page i+1 begins
    heading_starts: frozenset[int] = field(default_factory=frozenset)  # DOCX: offsets of heading lines


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

    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _Numbering(document)
        lines: list[str] = []
        headings: set[int] = set()
        offset = 0
        for line, is_heading in _body_lines(document, numbering):
            if is_heading:
                headings.add(offset)
            lines.append(line)
            offset += len(line) + 1
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError) as e:
        raise InputError(f"corrupt DOCX ({_reason(e)}): re-export {rel_path} or remove it") from None
    text = "\n".join(lines) + "\n" if lines else ""
    if not text.strip():
        raise InputError(f"no text in {rel_path}: the DOCX has no paragraphs or tables")
    return Extracted(text=text, heading_starts=frozenset(headings))


def _reason(e: Exception) -> str:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg[:120]


def _body_lines(document: Any, numbering: _Numbering) -> Iterator[tuple[str, bool]]:
    """Paragraphs and table rows in body order: (line, is_heading)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            text = _one_line(para.text)
            number = numbering.label(para)
            style = (para.style.name or "") if para.style is not None else ""
            is_heading = style.startswith(("Heading", "Title"))
            line = f"{number} {text}" if number and text else text
            yield line, is_heading and bool(line.strip())
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = _one_line(cell.text)
                    if not cells or cells[-1] != value:  # merged cells repeat their text
                        cells.append(value)
                yield " | ".join(cells), False
            yield "", False


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _Numbering:
    """Word automatic numbering: counters per list, formatted by each level's numFmt and lvlText."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> (start, fmt, lvlText)
        self._counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for a in root.iter(f"{_W}abstractNum"):
            levels: dict[int, tuple[int, str, str]] = {}
            for lvl in a.iter(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                start = _val(lvl, "start", "1")
                levels[ilvl] = (
                    int(start) if start.isdigit() else 1,
                    _val(lvl, "numFmt", "decimal"),
                    _val(lvl, "lvlText", ""),
                )
            abstract[a.get(f"{_W}abstractNumId", "")] = levels
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            levels = dict(abstract.get(ref.get(f"{_W}val", ""), {}))
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                start_override = override.find(f"{_W}startOverride")
                if start_override is not None and ilvl in levels:
                    _, fmt, lvl_text = levels[ilvl]
                    levels[ilvl] = (int(start_override.get(f"{_W}val", "1")), fmt, lvl_text)
            self._levels[num.get(f"{_W}numId", "")] = levels

    def label(self, para: Any) -> str:
        """The number Word would show before this paragraph ("", for none or a bullet)."""
        num_id, ilvl = _num_pr(para)
        if num_id is None or num_id == "0" or num_id not in self._levels:
            return ""
        levels = self._levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self._counters.setdefault(num_id, [0] * 9)
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else levels[ilvl][0]
        _, fmt, lvl_text = levels[ilvl]
        if fmt in ("bullet", "none") or not lvl_text:
            return ""
        label = lvl_text
        for k in range(ilvl, -1, -1):  # replace %10 before %1 is not needed: Word has 9 levels
            k_start, k_fmt, _ = levels.get(k, (1, "decimal", ""))
            value = counters[k] or k_start
            label = label.replace(f"%{k + 1}", _format_number(value, k_fmt))
        return label


def _val(el: Any, child: str, default: str) -> str:
    found = el.find(f"{_W}{child}")
    return default if found is None else str(found.get(f"{_W}val", default))


def _num_pr(para: Any) -> tuple[str | None, int]:
    """numId and level of a paragraph, from its own properties or else its style's."""
    for p_pr in (para._p.pPr, _style_ppr(para)):
        if p_pr is None:
            continue
        num_pr = p_pr.find(f"{_W}numPr")
        if num_pr is None:
            continue
        num_id = num_pr.find(f"{_W}numId")
        ilvl = num_pr.find(f"{_W}ilvl")
        return (
            None if num_id is None else str(num_id.get(f"{_W}val")),
            0 if ilvl is None else int(ilvl.get(f"{_W}val", "0")),
        )
    return None, 0


def _style_ppr(para: Any) -> Any:
    style = para.style
    return None if style is None else style.element.pPr


_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        out, rest = "", n
        for value, numeral in _ROMAN:
            while rest >= value:
                out, rest = out + numeral, rest - value
        return out.upper() if fmt == "upperRoman" else out
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)
