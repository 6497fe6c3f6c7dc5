"""Words for lexical scoring without a model: tokenizing, a light stemmer, English stopwords."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9_]+")
_CAMEL_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

_STOPWORDS_TEXT = """
a about above after again against all also am among an and another any anything are around as at be because been
before being below between both but by can cannot could couldn did didn do does doesn doing done down during each
either else even ever every few for from further going gonna had has have haven having he her here hers herself
him himself his how i if in into is it its itself just know like may maybe me more most much must my myself need
never no none nor not nothing of off okay on once only or other ought our ours ourselves out over own really right
same says shall she should since so some something still such sure than that thats the their theirs them
themselves then there these they thing things think this those though through thus to together too under until up
upon us very want wanna was we well were what whatever when where whether which while who whom whose why will with
within without would yeah yes you your yours yourself yourselves actually basically kind mean point probably quite
alright good great sort stuff lots little bit guess look also uh um
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Words that frame a question rather than say what it is about.
_FRAMING_TEXT = (
    "tell explain describe show give find list please document documents agreement contract file files "
    "function functions method methods class classes call calls called codebase repository place places"
)
QUESTION_WORDS = STOPWORDS | frozenset(_FRAMING_TEXT.split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: governs/governed/governing -> govern, laws -> law, parties -> parti."""
    w = word.lower()
    for suffix in ("ations", "ation", "ingly", "ing", "edly", "ed", "ies", "es", "ly", "s"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with snake_case and camelCase names also split into their parts."""
    out: list[str] = []
    for token in _WORD.findall(text):
        lower = token.lower()
        out.append(lower)
        snake = [p for p in token.split("_") if p]
        if len(snake) > 1:
            out.extend(p.lower() for p in snake)
        for part in snake:
            if part.isalpha() and (part.islower() or part.isupper() or part[1:].islower()):
                continue  # one camel part ("word", "WORD", "Word"): most tokens of prose and code
            camel = _CAMEL_PART.findall(part)
            if len(camel) > 1:
                out.extend(c.lower() for c in camel)
    return out


def content_stems(text: str, *, exclude: frozenset[str] = STOPWORDS) -> list[str]:
    """Stems of the words of ``text`` that carry meaning (no stopwords, no one-letter words)."""
    return list(_content_stems(text, exclude))


# The extractive answerer scores the same passages for every question about a corpus (a document read whole is
# split into the same sentences each time): tokenizing them was most of an in-process question's time.
@lru_cache(maxsize=32768)
def _content_stems(text: str, exclude: frozenset[str]) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text) if w not in exclude and len(w) > 1)
