"""Refuse work that cannot mean anything, before any index is written or model is called.

An empty or whitespace question, and a corpus with no readable document, are usage errors (exit 2): the user gets
one line saying what was wrong and what to pass instead, at once, not an answer after a full indexing run.
"""

from __future__ import annotations

from collections import Counter

from docintel.corpus import Corpus
from docintel.errors import UsageError

_SHOWN_REASONS = 3


def require_question(question: str) -> str:
    """``question`` unchanged, or UsageError when it has no visible character."""
    if not question or not question.strip():
        raise UsageError(
            "the question is empty: pass the question as text, e.g. docintel ask PATH 'Who may terminate?'"
        )
    return question


def require_documents(corpus: Corpus) -> Corpus:
    """``corpus`` unchanged, or UsageError when no file of it could be read (with the commonest skip reasons)."""
    if corpus.documents:
        return corpus
    if not corpus.skipped:
        raise UsageError(f"no documents in {corpus.root}: the folder is empty; point docintel at files to read")
    reasons = Counter(_reason_family(s.reason) for s in corpus.skipped)
    shown = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common(_SHOWN_REASONS))
    more = "" if len(reasons) <= _SHOWN_REASONS else ", …"
    raise UsageError(
        f"no readable documents in {corpus.root}: all {len(corpus.skipped)} files were skipped ({shown}{more}); "
        "`docintel stats PATH` lists each file and why"
    )


def _reason_family(reason: str) -> str:
    """A skip reason without its per-file details ("too large (5.1 MB > 2 MB)" -> "too large")."""
    return reason.split(" (", 1)[0].split(":", 1)[0]
