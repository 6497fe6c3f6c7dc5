"""The clause path at a point of a contract: article, section number and the stack of sub-clause levels.

The segmenter (docintel.ingest.contract) feeds it each number it meets; it decides which enumeration a token
continues ("(i)" after "(h)" is a letter, after nothing a roman numeral) and whether a number may start a clause
(numbers run forward; a restart at 1 is allowed).
"""

from __future__ import annotations

_ROMAN_LETTERS = set("ivxlc")


class ClauseNumbering:
    """The clause path at the current point: article, section number, and a stack of sub-clause levels."""

    def __init__(self) -> None:
        self.article: str | None = None
        self.article_heading: str | None = None
        self.section: str | None = None
        self.section_key: tuple[int, ...] = ()
        self.section_heading: str | None = None
        self.headings: dict[tuple[int, ...], str] = {}  # section number -> its heading, for sub-sections
        self.subs: list[tuple[str, str]] = []  # (style, value): style like "(a)", "(i)", "(1)", "A."

    def path(self) -> str | None:
        base = self.section or self.article
        if not self.subs:
            return base
        subs = "".join(f"({v})" for _, v in self.subs)  # "A." items are cited like "(a)" ones: 2.02(A)
        return f"{base}{subs}" if base else subs

    def heading(self) -> str | None:
        return self.section_heading or self.article_heading

    def accepts_section(self, key: tuple[int, ...], sub_follows: bool) -> bool:
        """Clause numbers run forward; a restart at 1 (an exhibit, a schedule) is allowed."""
        restart = key[0] == 1 and all(k in (0, 1) for k in key[1:])  # 1, 1.1, 1.0, 1.01: numbering starts again
        if not self.section_key or key > self.section_key or restart:
            return True
        return sub_follows and key == self.section_key

    def set_article(self, number: str, heading: str | None) -> None:
        self.article, self.article_heading = number, heading
        self.section, self.section_key, self.section_heading = None, (), None
        self.headings = {}
        self.subs = []

    def set_section(self, number: str, key: tuple[int, ...], heading: str | None) -> None:
        if heading:
            self.headings[key] = heading
        # a sub-section without its own heading is named after its parent ("12.3" under "12. LIABILITY")
        self.section_heading = next(
            (self.headings[key[:i]] for i in range(len(key), 0, -1) if key[:i] in self.headings), None
        )
        self.section, self.section_key = number, key
        self.subs = []

    def sub_style(self, token: str, paren: bool) -> str | None:
        """Which enumeration ``token`` continues: (i) after (h) is a letter, (i) after nothing is a roman one."""
        wrap = "({})" if paren else "{}."
        lower = token.lower()
        is_roman = set(lower) <= _ROMAN_LETTERS and roman_value(lower) > 0
        is_letter = lower.isalpha() and (len(lower) == 1 or len(set(lower)) == 1)
        case = "A" if token.isupper() else "a"
        if token.isdigit():
            return wrap.format("1")
        letter, roman = wrap.format(case), wrap.format("i" if case == "a" else "I")
        if is_letter and not is_roman:
            return letter
        if is_roman and not is_letter:
            return roman
        if not is_letter and not is_roman:
            return None
        # both readings possible: follow the sibling that makes it the next in sequence
        for style, value in reversed(self.subs):
            if style == letter and letter_value(value) + 1 == letter_value(lower):
                return letter
            if style == roman and roman_value(value.lower()) + 1 == roman_value(lower):
                return roman
        return roman if lower == "i" else letter

    def push_sub(self, style: str, value: str) -> bool:
        first = value in ("a", "A", "i", "I", "1")
        for n, (s, v) in enumerate(self.subs):
            if s == style:
                if not first and not follows(style, v, value):
                    return False
                del self.subs[n:]
                break
        else:
            if not first and style.endswith("."):
                return False  # "B. Smith" is a name, not a list item, unless "A." came first
        self.subs.append((style, value))
        return True


def follows(style: str, previous: str, value: str) -> bool:
    if "1" in style:
        return previous.isdigit() and value.isdigit() and int(value) == int(previous) + 1
    if "i" in style.lower():
        return roman_value(value.lower()) == roman_value(previous.lower()) + 1
    return letter_value(value) == letter_value(previous) + 1


def article_value(token: str) -> int:
    return int(token) if token.isdigit() else roman_value(token.lower())


def letter_value(token: str) -> int:
    token = token.lower()
    return (ord(token[0]) - ord("a") + 1) + 26 * (len(token) - 1) if token.isalpha() else -1


def roman_value(token: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total, prev = 0, 0
    for ch in reversed(token):
        v = values.get(ch, 0)
        if not v:
            return 0
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total
