"""Word automatic numbering (numbering.xml) -> the number Word shows before each paragraph.

A clause number that exists only as list formatting is still the number a reader cites, so the DOCX extractor
renders it into the line. This follows what Word does (ECMA-376 Part 1, 17.9), not just the XML's surface:

- a paragraph's list and level come from its own ``w:numPr``, else from its paragraph style and the styles that
  style is based on; a style that names a list but no level gets the level whose ``w:pStyle`` is that style
  (Heading 2 linked to level 2), and ``numId`` 0 switches numbering off;
- ``w:num`` instances that share an ``w:abstractNum`` share its counters (a second list instance continues the
  first), unless the instance overrides a level's start (``w:lvlOverride/w:startOverride``): then that level
  restarts where the instance is first used; an override may also replace a level's definition (``w:lvl``);
- abstract definitions linked through a numbering style (``w:numStyleLink`` -> style -> ``w:styleLink``) resolve
  to the definition that carries the levels;
- a level restarts after any higher level is used, or only after the level ``w:lvlRestart`` names (0: never);
- ``w:lvlText`` places each level's value in that level's ``w:numFmt`` (decimal, letters, roman, zero-padded,
  ...), all in decimal under ``w:isLgl``; a paragraph with an empty text still counts; bullets count but show
  nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_LEVELS = 9


@dataclass(frozen=True)
class Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    restart: int | None = None  # w:lvlRestart (1-based level that restarts this one; 0 = never)
    legal: bool = False  # w:isLgl
    style: str | None = None  # w:pStyle: the paragraph style linked to this level


@dataclass
class _Instance:
    abstract: str
    levels: dict[int, Level]
    start_overrides: dict[int, int] = field(default_factory=dict)
    used: bool = False


class DocxNumbering:
    """Counters of every list in one document, advanced paragraph by paragraph in body order."""

    def __init__(self, document: Any) -> None:
        self._instances: dict[str, _Instance] = {}
        self._counters: dict[str, list[int | None]] = {}  # abstractNumId -> value per level (None: not used yet)
        self._styles: dict[str, Any] = {}  # styleId -> w:style element
        self._default_style: str | None = None
        try:
            styles_root = document.styles.element
            for style in styles_root.iter(f"{_W}style"):
                sid = style.get(f"{_W}styleId")
                if sid:
                    self._styles[sid] = style
                if style.get(f"{_W}type") == "paragraph" and style.get(f"{_W}default") in ("1", "true"):
                    self._default_style = sid
        except (KeyError, NotImplementedError, AttributeError):
            pass
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstracts: dict[str, Any] = {a.get(f"{_W}abstractNumId", ""): a for a in root.iter(f"{_W}abstractNum")}
        nums: dict[str, Any] = {n.get(f"{_W}numId", ""): n for n in root.iter(f"{_W}num")}
        for num_id, num in nums.items():
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            abstract_id = self._resolve_link(str(ref.get(f"{_W}val", "")), abstracts, nums)
            levels = _levels(abstracts.get(abstract_id))
            instance = _Instance(abstract_id, levels)
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl = _int(override.get(f"{_W}ilvl"), 0)
                replacement = override.find(f"{_W}lvl")
                if replacement is not None:
                    levels[ilvl] = _level(replacement)
                start = override.find(f"{_W}startOverride")
                if start is not None:
                    instance.start_overrides[ilvl] = _int(start.get(f"{_W}val"), 0)
            self._instances[num_id] = instance

    def _resolve_link(self, abstract_id: str, abstracts: dict[str, Any], nums: dict[str, Any]) -> str:
        """An abstractNum that only points at a numbering style (numStyleLink) -> the one defining the levels."""
        for _ in range(4):  # links do not chain further in practice; bounded against cycles
            abstract = abstracts.get(abstract_id)
            link = None if abstract is None else abstract.find(f"{_W}numStyleLink")
            if link is None:
                return abstract_id
            style = self._styles.get(str(link.get(f"{_W}val", "")))
            num_pr = None if style is None else style.find(f"{_W}pPr/{_W}numPr/{_W}numId")
            num = None if num_pr is None else nums.get(str(num_pr.get(f"{_W}val", "")))
            ref = None if num is None else num.find(f"{_W}abstractNumId")
            if ref is None:
                return abstract_id
            abstract_id = str(ref.get(f"{_W}val", ""))
        return abstract_id

    def label(self, p_element: Any) -> str:
        """Advance the counters for this paragraph (a ``w:p`` element) and return the number Word shows before
        it ("" for none, a bullet, or a paragraph outside any list)."""
        num_id, ilvl = self._num_pr(p_element)
        if num_id is None or num_id == "0" or num_id not in self._instances or not 0 <= ilvl < _LEVELS:
            return ""
        instance = self._instances[num_id]
        level = instance.levels.get(ilvl)
        if level is None:
            return ""
        counters = self._counters.setdefault(instance.abstract, [None] * _LEVELS)
        if not instance.used:
            instance.used = True
            for lvl in instance.start_overrides:  # this instance restarts the overridden levels
                if 0 <= lvl < _LEVELS:
                    counters[lvl] = None
        current = counters[ilvl]
        counters[ilvl] = instance.start_overrides.get(ilvl, level.start) if current is None else current + 1
        for deeper in range(ilvl + 1, _LEVELS):
            restart = instance.levels.get(deeper, Level()).restart
            if restart is None or (restart > 0 and ilvl < restart):
                counters[deeper] = None
        if level.fmt in ("bullet", "none") or not level.text:
            return ""
        return _render(level, instance, counters)

    def _num_pr(self, p: Any) -> tuple[str | None, int]:
        """(numId, ilvl) of a paragraph: its own numPr, filled in from its style chain."""
        num_id: str | None = None
        ilvl: int | None = None
        p_pr = p.find(f"{_W}pPr")
        style_id = None
        if p_pr is not None:
            num_pr = p_pr.find(f"{_W}numPr")
            if num_pr is not None:
                num_id, ilvl = _num_pr_values(num_pr)
            style_el = p_pr.find(f"{_W}pStyle")
            if style_el is not None:
                style_id = str(style_el.get(f"{_W}val", ""))
        style_id = style_id or self._default_style
        linked_style = style_id
        seen: set[str] = set()
        while style_id and style_id not in seen and (num_id is None or ilvl is None):
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                break
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None:
                s_num, s_lvl = _num_pr_values(num_pr)
                if num_id is None and s_num is not None:
                    num_id, linked_style = s_num, style_id
                if ilvl is None and s_lvl is not None:
                    ilvl = s_lvl
            based = style.find(f"{_W}basedOn")
            style_id = None if based is None else str(based.get(f"{_W}val", ""))
        if num_id is not None and ilvl is None:
            instance = self._instances.get(num_id)
            ilvl = next(
                (n for n, lvl in sorted((instance.levels if instance else {}).items()) if lvl.style == linked_style),
                0,
            )
        return num_id, ilvl or 0


def _num_pr_values(num_pr: Any) -> tuple[str | None, int | None]:
    num = num_pr.find(f"{_W}numId")
    lvl = num_pr.find(f"{_W}ilvl")
    return (
        None if num is None else str(num.get(f"{_W}val")),
        None if lvl is None else _int(lvl.get(f"{_W}val"), 0),
    )


def _levels(abstract: Any) -> dict[int, Level]:
    if abstract is None:
        return {}
    return {_int(lvl.get(f"{_W}ilvl"), 0): _level(lvl) for lvl in abstract.findall(f"{_W}lvl")}


def _level(lvl: Any) -> Level:
    restart = _val(lvl, "lvlRestart")
    legal = lvl.find(f"{_W}isLgl")
    return Level(
        start=_int(_val(lvl, "start"), 1),
        fmt=_val(lvl, "numFmt") or "decimal",
        text=_val(lvl, "lvlText") or "",
        restart=None if restart is None else _int(restart, 0),
        legal=legal is not None and legal.get(f"{_W}val", "1") not in ("0", "false"),
        style=_val(lvl, "pStyle"),
    )


def _val(el: Any, child: str) -> str | None:
    found = el.find(f"{_W}{child}")
    return None if found is None else found.get(f"{_W}val")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _render(level: Level, instance: _Instance, counters: list[int | None]) -> str:
    out = level.text
    for k in range(_LEVELS - 1, -1, -1):  # %9 .. %1: no placeholder is a prefix of a later one
        placeholder = f"%{k + 1}"
        if placeholder not in out:
            continue
        k_level = instance.levels.get(k, Level())
        counted = counters[k]
        value = instance.start_overrides.get(k, k_level.start) if counted is None else counted
        fmt = "decimal" if level.legal and k_level.fmt not in ("bullet", "none") else k_level.fmt
        out = out.replace(placeholder, format_number(value, fmt))
    return out.strip()


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


def format_number(n: int, fmt: str) -> str:
    """``n`` in a Word numFmt (the common ones; anything else falls back to decimal)."""
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else ""
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        out, rest = "", n
        for value, numeral in _ROMAN:
            while rest >= value:
                out, rest = out + numeral, rest - value
        return out.upper() if fmt == "upperRoman" else out
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "ordinal":
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    if fmt == "none":
        return ""
    return str(n)
