"""docintel: answers questions about large bodies of text, deciding per question what the model reads.

    import docintel
    corpus = docintel.open("path/to/repo")          # a Session (also known as CorpusHandle)
    answer = corpus.ask("Where are retries configured?")

Public names resolve lazily (module ``__getattr__``) so ``import docintel`` stays light: nothing heavy is
imported until a corpus is opened.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "open": "docintel.api",
    "CorpusHandle": "docintel.api",
    "Session": "docintel.session",
    "Answer": "docintel.answer",
    "Citation": "docintel.answer",
    "Usage": "docintel.answer",
    "Plan": "docintel.plan",
    "Reason": "docintel.plan",
    "TokenEstimate": "docintel.plan",
    "Prompt": "docintel.prompt",
    "Corpus": "docintel.corpus",
    "Document": "docintel.corpus",
    "Segment": "docintel.corpus",
    "SourceSpan": "docintel.corpus",
    "Hit": "docintel.index.corpus_index",
    "ModelProfile": "docintel.profiles",
    "get_profile": "docintel.profiles",
    "get_backend": "docintel.backends",
    "open_backend": "docintel.backends",
    "DocintelError": "docintel.errors",
}

__all__ = [
    "Answer",
    "Citation",
    "Corpus",
    "CorpusHandle",
    "DocintelError",
    "Document",
    "Hit",
    "ModelProfile",
    "Plan",
    "Prompt",
    "Reason",
    "Segment",
    "Session",
    "SourceSpan",
    "TokenEstimate",
    "Usage",
    "__version__",
    "get_backend",
    "get_profile",
    "open",
    "open_backend",
]

if TYPE_CHECKING:
    from docintel.answer import Answer, Citation, Usage
    from docintel.api import CorpusHandle, open
    from docintel.backends import get_backend, open_backend
    from docintel.corpus import Corpus, Document, Segment, SourceSpan
    from docintel.errors import DocintelError
    from docintel.index.corpus_index import Hit
    from docintel.plan import Plan, Reason, TokenEstimate
    from docintel.profiles import ModelProfile, get_profile
    from docintel.prompt import Prompt
    from docintel.session import Session


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'docintel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
