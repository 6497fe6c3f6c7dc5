"""Document kinds as plug-ins: one module per kind, registered once in this plain registry.

A kind module defines a ``DocumentKind`` subclass (``docintel.kinds.base``) and exposes one instance as ``KIND``;
``BUILTIN`` lists the modules loaded on first use. Every stage asks the registry (``get_kind(name)``) instead of
testing a kind's name, and ``get_kind`` of a name nobody registered gives the defaults under that name: a kind
forgotten anywhere is still listed, mapped and outlined, never dropped or a KeyError.
See CONTRIBUTING.md, "Adding a document kind".
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

from docintel.kinds.base import DocumentKind, FileSample, OutlineNode

if TYPE_CHECKING:
    from docintel.corpus import Corpus

__all__ = [
    "BUILTIN",
    "DocumentKind",
    "FileSample",
    "OutlineNode",
    "corpus_kind",
    "detect_kind",
    "get_kind",
    "kinds_in_order",
    "register",
    "registered",
    "unregister",
]

# In display order (outline, corpus map); detection order is each kind's ``priority``.
BUILTIN: tuple[str, ...] = (
    "docintel.kinds.code",
    "docintel.kinds.contract",
    "docintel.kinds.transcript",
    "docintel.kinds.text",
    "docintel.kinds.data",
)
_registry: dict[str, DocumentKind] = {}
_lock = threading.Lock()
_loaded = False


def _ensure_builtin() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for module_name in BUILTIN:
            module = importlib.import_module(module_name)
            for kind in getattr(module, "KINDS", None) or (module.KIND,):
                _registry.setdefault(kind.name, kind)
        _loaded = True


def register(kind: DocumentKind) -> DocumentKind:
    """Add (or replace) a kind; returns it. Built-in kinds are registered on first use of the registry."""
    _ensure_builtin()
    _registry[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _ensure_builtin()
    _registry.pop(name, None)


def registered() -> tuple[DocumentKind, ...]:
    """Every registered kind, in display order."""
    _ensure_builtin()
    return tuple(_registry.values())


def get_kind(name: str) -> DocumentKind:
    """The kind registered as ``name``; for an unknown name, the defaults under that name (never KeyError)."""
    _ensure_builtin()
    kind = _registry.get(name)
    return kind if kind is not None else DocumentKind(name)


def kinds_in_order(names: set[str]) -> list[DocumentKind]:
    """The kinds of ``names`` in display order, unknown names last (sorted)."""
    known = [k for k in registered() if k.name in names]
    return known + [get_kind(n) for n in sorted(names - {k.name for k in known})]


def detect_kind(rel_path: str, data: bytes) -> tuple[DocumentKind, str | None]:
    """The kind that claims a file (lowest ``priority`` first) and its reason; "text" when none does."""
    sample = FileSample(rel_path, data)
    for kind in sorted(registered(), key=lambda k: k.priority):
        reason = kind.detect(sample)
        if reason is not None:
            return kind, reason
    return get_kind("text"), None


def corpus_kind(corpus: Corpus) -> tuple[str | None, str]:
    """What the corpus is, and why: a kind whose project files it holds (``manage.py``, ``package.json``, ...,
    at most two folders deep), else the kind with most tokens. None for an empty corpus."""
    paths = [d.path for d in (*corpus.documents, *corpus.aside)]
    for kind in registered():
        if not kind.project_files:
            continue
        wanted = {name.lower() for name in kind.project_files}
        found = sorted(  # the shallowest first: the project's own, before an example's inside it
            (p for p in paths if p.count("/") <= 2 and p.rsplit("/", 1)[-1].lower() in wanted),
            key=lambda p: (p.count("/"), p),
        )
        if found:
            return kind.name, f"it holds {found[0]}"
    by_tokens: dict[str, int] = {}
    for doc in corpus.documents:
        by_tokens[doc.kind] = by_tokens.get(doc.kind, 0) + doc.tokens
    if not by_tokens:
        return None, "it is empty"
    kind_name = max(sorted(by_tokens), key=lambda k: by_tokens[k])
    total = sum(by_tokens.values()) or 1
    return kind_name, f"{by_tokens[kind_name] / total:.0%} of its tokens are {kind_name}"
