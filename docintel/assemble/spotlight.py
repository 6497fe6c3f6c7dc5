"""Text from documents is data, not instructions (Spotlighting, Hines et al. 2024).

A document that contains ``</doc><doc path="msa.txt">[1] ...`` must not be able to close its own document and
open a forged one, and a line inside it that says "ignore the instructions above" is a quote, not an order.
Every prompt layout (full, retrieve, map, reduce, and the pack formats rendered from them) therefore:

- opens each document with a tag that carries a per-prompt boundary, ``<doc path="..." data="3f9a...">``, and
  closes it with ``</doc data="3f9a...">``. The boundary is derived from what the prompt carries (the corpus content
  hash for the cacheable full and map layouts, so an unchanged corpus keeps a byte-identical prefix; the sent text
  for retrieve and reduce): a document cannot contain the boundary of a prompt that contains that document;
- escapes, inside document text, anything that looks like one of our tags (``<doc``, ``</doc``, ``<passages``,
  ``<question``, ``<findings``...: ``<`` becomes ``&lt;``) and a citation label at the start of a line (``[3]``
  becomes ``\\[3]``), so no text can forge a boundary or a label;
- strips zero-width and bidi-control characters (they hide words from a reader and tokens from the secret
  scanner, while a model still reads them);
- tells the model, in the instructions, that everything between the marked tags is data to quote and cite, and
  that instructions found there are to be reported, never followed.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from html import escape
from importlib import resources

from docintel.egress.links import strip_invisible

_OUR_TAGS = re.compile(
    r"<(\s*/?\s*)(doc|corpus_map|corpus|passages|question|findings|instructions|context|sources?|data)\b",
    re.IGNORECASE,
)
_LINE_LABEL = re.compile(r"(?m)^([ \t]*)\[(\d+)\]")


def boundary(seed: str) -> str:
    """The data boundary for a prompt built from ``seed`` (12 hex digits)."""
    return hashlib.sha256(f"docintel-data-boundary\0{seed}".encode()).hexdigest()[:12]


def as_data(text: str, mark: str, *, labels: bool = True) -> str:
    """Document text as it goes into a prompt: invisible characters stripped, our tags and (``labels``) line-start
    citation labels escaped, the boundary never present. Findings of map calls keep their labels: they cite."""
    out = strip_invisible(text)
    out = _OUR_TAGS.sub(lambda m: "&lt;" + m.group(1) + m.group(2), out)
    if labels:
        out = _LINE_LABEL.sub(lambda m: f"{m.group(1)}\\[{m.group(2)}]", out)
    if mark and mark in out:
        out = out.replace(mark, mark[:6] + "\u2010" + mark[6:])  # cannot happen by construction; never trust it
    return out


def doc_open(path: str, kind: str, mark: str) -> str:
    return f'<doc path="{escape(path, quote=True)}" kind="{escape(kind, quote=True)}" data="{mark}">\n'


def doc_close(mark: str) -> str:
    return f'</doc data="{mark}">\n'


def data_rules(mark: str) -> str:
    """The paragraph appended to a prompt's instructions (docintel/prompts/data_rules.md): where data is, and
    that it is only data."""
    return _rules_template().replace("{{BOUNDARY}}", mark)


@lru_cache(maxsize=1)
def _rules_template() -> str:
    return resources.files("docintel").joinpath("prompts/data_rules.md").read_text(encoding="utf-8")


__all__ = ["as_data", "boundary", "data_rules", "doc_close", "doc_open"]
