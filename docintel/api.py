"""The public Python API: open a corpus once, then ask, plan, search, pack and outline it.

    import docintel
    corpus = docintel.open("path/to/repo")
    answer = corpus.ask("Where are retries configured?")
    print(answer.text, [c.span.label() for c in answer.citations])

Every front end (CLI, TUI, MCP server, audit) goes through these methods; none reimplements a pipeline step.
They return the same values the CLI prints (``Answer``, ``Plan``, ``Hit``, packed context text).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from docintel.answer import Answer
from docintel.corpus import Corpus
from docintel.errors import InputError
from docintel.plan import Plan
from docintel.profiles import ModelProfile, get_profile

if TYPE_CHECKING:
    from docintel.backends import Backend
    from docintel.index import CorpusIndex, Hit, SearchMode
    from docintel.prompt import Prompt

Progress = Callable[[int, int, str], None]  # (done, total, current path)
PackFormat = Literal["md", "xml", "json"]
DEFAULT_BACKEND = "extractive"


class CorpusHandle:
    """An opened corpus and its index; cheap to keep around and reuse for many questions."""

    def __init__(self, path: Path, corpus: Corpus, index: CorpusIndex, fingerprint: str) -> None:
        self.path = path
        self.corpus = corpus
        self.index = index
        self._fingerprint = fingerprint
        self._backends: dict[tuple[str, str | None], Backend] = {}

    def __repr__(self) -> str:
        return f"CorpusHandle({str(self.path)!r}, documents={len(self.corpus.documents)}, tokens={self.corpus.tokens})"

    # -- the pipeline steps -------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        backend: str | Backend = DEFAULT_BACKEND,
        profile: str | ModelProfile | None = None,
        budget_tokens: int | None = None,
        on_text: Callable[[str], None] | None = None,
        on_plan: Callable[[Plan], None] | None = None,
    ) -> Answer:
        """Plan, build the prompt, run the backend, check citations: the Answer ``docintel ask`` prints."""
        from docintel.pipeline import ask

        return ask(
            self.corpus,
            self.index,
            question,
            backend=self.backend(backend, profile=profile),
            profile=_profile(profile),
            budget_tokens=budget_tokens,
            on_text=on_text,
            on_plan=on_plan,
        )

    def plan(
        self,
        question: str,
        *,
        profile: str | ModelProfile | None = None,
        budget_tokens: int | None = None,
        backend: str = DEFAULT_BACKEND,
    ) -> Plan:
        """The route for ``question`` (full / retrieve / map-reduce), with reasons, tokens and cost; runs no model."""
        from docintel.pipeline import plan_question

        resolved = _profile(profile) or self.backend(backend).profile
        return plan_question(
            self.corpus, self.index, question, profile=resolved, budget_tokens=budget_tokens, backend_name=backend
        )

    def prompt(self, question: str, *, profile: str | ModelProfile | None = None) -> Prompt:
        """The exact prompt a model would receive for ``question`` (blocks and citation ids)."""
        from docintel.pipeline import build_prompt

        resolved = _profile(profile) or get_profile("extractive")
        return build_prompt(self.corpus, self.index, self.plan(question, profile=resolved), profile=resolved)

    def search(
        self, query: str, k: int = 10, *, mode: SearchMode = "fused", paths: list[str] | None = None
    ) -> list[Hit]:
        """Ranked chunks for ``query`` (lexical + semantic, fused)."""
        return self.index.search(query, k=k, mode=mode, paths=paths)

    def pack(
        self,
        question: str,
        *,
        budget_tokens: int,
        fmt: PackFormat = "md",
        profile: str | ModelProfile | None = None,
    ) -> str:
        """The context for ``question`` within ``budget_tokens``, cited, for pasting into another model."""
        from docintel.pipeline import pack

        return pack(self.corpus, self.index, question, budget_tokens=budget_tokens, fmt=fmt, profile=_profile(profile))

    def outline(self, budget_tokens: int = 2000) -> str:
        """The query-independent corpus map (repo map / table of contents / speakers and agenda)."""
        from docintel.corpus_map import build_corpus_map

        return build_corpus_map(self.corpus, budget_tokens=budget_tokens)

    def stats(self) -> dict[str, Any]:
        """Documents, segments and tokens by kind and language, largest documents, skipped files, content hash."""
        from docintel.cli.stats import corpus_stats

        data = corpus_stats(self.corpus)
        data["content_hash"] = self.corpus.content_hash
        return data

    # -- sessions -----------------------------------------------------------------------------------------------

    def backend(self, backend: str | Backend, *, profile: str | ModelProfile | None = None) -> Backend:
        """A backend by name (constructed once per handle) or the given Backend object."""
        if not isinstance(backend, str):
            return backend
        key = (backend, profile if isinstance(profile, str) or profile is None else profile.id)
        if key not in self._backends:
            from docintel.backends import get_backend

            options: dict[str, Any] = {}
            resolved = _profile(profile)
            if resolved is not None and resolved.backend == backend:
                options["profile"] = resolved
            self._backends[key] = get_backend(backend, **options)
        return self._backends[key]

    def is_stale(self) -> bool:
        """True when a file under the corpus was added, removed or changed since it was opened."""
        return fingerprint(self.path) != self._fingerprint

    def refresh(self, *, progress: Progress | None = None) -> bool:
        """Re-read the corpus if files changed (the index update is incremental). Returns whether it did."""
        if not self.is_stale():
            return False
        fresh = open(self.path, progress=progress)
        old = self.index
        self.corpus, self.index, self._fingerprint = fresh.corpus, fresh.index, fresh._fingerprint
        old.close()
        return True

    def close(self) -> None:
        """Release the index (its files stay under ``$DOCINTEL_HOME`` for the next open)."""
        self.index.close()

    def __enter__(self) -> CorpusHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    load_progress: Progress | None = None,
) -> CorpusHandle:
    """Read ``path`` (a folder or one file) and build or update its index under ``$DOCINTEL_HOME``.

    ``load_progress(done, total, current_path)`` is called while files are read, ``progress(done, total,
    current_path)`` while chunks are embedded (only new or changed chunks: the index update is incremental).
    """
    from docintel.index import open_corpus

    given = Path(path).expanduser()
    if not given.exists():
        raise InputError(f"path not found: {given}")
    resolved = given.resolve()
    stamp = fingerprint(resolved)
    corpus, index = open_corpus(resolved, progress=progress, load_progress=load_progress)
    return CorpusHandle(resolved, corpus, index, stamp)


def fingerprint(path: Path) -> str:
    """A cheap stamp of every file's name, size and mtime under ``path`` (no file is read)."""
    h = hashlib.sha256()
    if path.is_file():
        st = path.stat()
        h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        return h.hexdigest()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            h.update(f"{os.path.relpath(full, path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _profile(profile: str | ModelProfile | None) -> ModelProfile | None:
    if profile is None or isinstance(profile, ModelProfile):
        return profile
    return get_profile(profile)


__all__ = ["CorpusHandle", "fingerprint", "open"]
