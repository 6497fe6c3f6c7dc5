"""Text files in the encodings people actually have: a UTF-16/32 byte-order mark first, then UTF-16 without one
(ASCII in UTF-16 is also valid UTF-8, NULs and all), then UTF-8, then cp1252 for Western text, then
charset-normalizer's judgement (cp1251, Shift-JIS, ...). The encoding used is reported (``Document.encoding``,
``docintel stats``), because a wrong guess shows up as mojibake in citations and the user should be able to see why.

Newlines are never translated, so character offsets match the file as other tools decode it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from docintel.errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
UTF16_SNIFF = 4096
JUDGE_CHARS = 65_536
WESTERN_MAX_ACCENTED = 0.3  # share of letters outside ASCII; French or German prose stays well below 10%
_MIN_NULL_SHARE = 0.3  # of the high (or low) bytes of each UTF-16 unit: ASCII-heavy text has nearly all of them 0


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-16-le (BOM)", "cp1252", ...


def utf16_byte_order(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` looks like UTF-16 text (with or without a BOM), else None.

    Without a BOM: text in a Latin script has a zero byte in most code units, always on the same side.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name if name.startswith("utf-16") else None
    sample = head[:UTF16_SNIFF]
    sample = sample[: len(sample) // 2 * 2]  # whole code units
    if len(sample) < 4:
        return None
    units = len(sample) // 2
    even_nulls = sample[0::2].count(0)
    odd_nulls = sample[1::2].count(0)
    for name, nulls, other in (("utf-16-le", odd_nulls, even_nulls), ("utf-16-be", even_nulls, odd_nulls)):
        if nulls >= _MIN_NULL_SHARE * units and other <= 0.1 * units:  # (a U+xx00 char has its 0 on the other side)
            try:  # the sniff may end inside a surrogate pair: drop that last unit
                text = sample.decode(name) if _whole(sample, name) else sample[:-2].decode(name)
            except UnicodeDecodeError:
                continue
            printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
            if printable >= 0.95 * len(text):
                return name
    return None


def _whole(sample: bytes, name: str) -> bool:
    """False when ``sample`` ends with the first half of a UTF-16 surrogate pair."""
    last = sample[-2:] if name == "utf-16-be" else sample[-1:-3:-1]
    return not 0xD8 <= last[0] <= 0xDB


def decode_text(rel_path: str, data: bytes) -> Decoded:
    """Decode a text file, saying which encoding was used. Raises InputError when no encoding reads it as text."""
    for bom, name in _BOMS:  # before UTF-8: UTF-16 text in ASCII is valid UTF-8, NUL bytes and all
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(name), f"{name} (BOM)")
            except UnicodeDecodeError as e:
                raise InputError(
                    f"invalid {name} at byte {e.start}: convert {rel_path} to UTF-8 to include it"
                ) from None
    order = utf16_byte_order(data[:UTF16_SNIFF]) if b"\0" in data[:UTF16_SNIFF] else None
    if order is not None:
        try:
            return Decoded(data.decode(order), order)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as e:
        utf8_error = e
    guessed = _western(data) or _guess(data)
    if guessed is not None:
        return guessed
    raise InputError(
        f"not UTF-8 (invalid byte at {utf8_error.start}) and no other text encoding fits; "
        f"convert {rel_path} to UTF-8 to include it"
    )


def _western(data: bytes) -> Decoded | None:
    """cp1252 (a superset of Latin-1's printable range), when it reads the bytes as Western text: accented letters
    a minority inside mostly-ASCII words. Statistical detectors often prefer cp850/cp1250 on short Western text;
    Cyrillic or Greek bytes read as cp1252 give words made mostly of accented letters, and fail this test."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
    sample = text[:JUDGE_CHARS]  # enough to judge; a 1 MB file would cost 0.4 s in this loop
    letters = [ch for ch in sample if ch.isalpha()]
    accented = sum(1 for ch in letters if not ch.isascii())
    if not letters or accented > WESTERN_MAX_ACCENTED * len(letters):
        return None
    controls = sum(1 for ch in sample if not ch.isprintable() and ch not in "\r\n\t\f")
    return Decoded(text, "cp1252") if controls <= 0.01 * len(sample) else None


def _guess(data: bytes) -> Decoded | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a core dependency; cp1252 is the commonest non-UTF-8 text encoding
        try:
            return Decoded(data.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            return None
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    name = codecs.lookup(best.encoding).name
    try:
        return Decoded(data.decode(name), name)
    except UnicodeDecodeError:
        return None


def text_encoding(rel_path: str, data: bytes) -> str:
    """The encoding ``decode_text`` uses for a file ("utf-8" for PDF/DOCX, whose text comes from the container)."""
    if rel_path.lower().endswith((".pdf", ".docx")):
        return "utf-8"
    return decode_text(rel_path, data).encoding
