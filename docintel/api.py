"""The public Python API: open a corpus once, then ask, plan, search, pack and outline it.

    import docintel
    corpus = docintel.open("path/to/repo")
    answer = corpus.ask("Where are retries configured?")
    print(answer.text, [c.span.label() for c in answer.citations])

``docintel.open`` returns a ``docintel.session.Session``; ``CorpusHandle`` is the same class under the name this
API first had. Every front end (CLI, TUI, MCP server, audit, eval) goes through a Session; none reimplements a
pipeline step. They return the same values the CLI prints (``Answer``, ``Plan``, ``Hit``, packed context text).
"""

from __future__ import annotations

from docintel.backends import DEFAULT_BACKEND
from docintel.session import BackendConfig, PackFormat, Progress, RouteOptions, Session, fingerprint, open

CorpusHandle = Session

__all__ = [
    "DEFAULT_BACKEND",
    "BackendConfig",
    "CorpusHandle",
    "PackFormat",
    "Progress",
    "RouteOptions",
    "Session",
    "fingerprint",
    "open",
]
