"""Read, detect and load many files: unchanged ones from the ingest cache (``docintel.ingest.cache``), the rest on
several processes when there are enough of them to pay for the processes.

Loading is CPU-bound Python (tree-sitter walks, BPE token counts) that threads cannot overlap, so a big corpus is
spread over forked worker processes (Linux), one per core; ``DOCINTEL_WORKERS=N`` fixes
the number (1: load in this process). Results come back in input order: the corpus is identical to a serial load.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from docintel.corpus import Document, SkippedFile
from docintel.errors import InputError
from docintel.ingest import IngestOptions
from docintel.ingest.encoding import text_encoding
from docintel.ingest.paths import fs_path

PARALLEL_MIN_FILES = 64  # below this, starting workers costs more than it saves
CACHE_MIN_FILES = 2
MAX_WORKERS = 8


def load_file(root: Path, rel: str, options: IngestOptions) -> Document | SkippedFile:
    """One file as a Document, or the reason it was skipped."""
    try:
        data = fs_path(root, rel).read_bytes()
    except OSError as e:
        return SkippedFile(rel, f"unreadable ({e.strerror or e})")
    from docintel.kinds import detect_kind

    kind, reason = detect_kind(rel, data)
    try:
        document = kind.load(rel, data, options, reason)
        encoding = text_encoding(rel, data)
    except InputError as e:
        return SkippedFile(rel, str(e))
    return document if encoding == document.encoding else replace(document, encoding=encoding)


def _worker_count(n_files: int) -> int:
    # fork only where it is the platform's own default (on macOS it can crash a process that used system libraries)
    if n_files < PARALLEL_MIN_FILES or not sys.platform.startswith("linux"):
        return 1
    if multiprocessing.current_process().daemon:  # a daemonic worker may not start processes of its own
        return 1
    if os.environ.get("DOCINTEL_WORKERS", "").isdigit():  # e.g. DOCINTEL_WORKERS=1 to load in-process
        return max(1, min(int(os.environ["DOCINTEL_WORKERS"]), MAX_WORKERS))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, MAX_WORKERS))


def _warm_up() -> None:
    """Load the tokenizer and the code loader once here, so forked workers share them instead of each loading."""
    from docintel.tokens import count_tokens

    count_tokens("warm up")
    from docintel.kinds import get_kind

    get_kind("code").prepare()


_root: Path | None = None
_options = IngestOptions()


def _load_in_worker(rel: str) -> Document | SkippedFile:
    assert _root is not None
    return load_file(_root, rel, _options)


def load_files(
    root: Path, files: list[str], options: IngestOptions, progress: Callable[[int, int, str], None] | None = None
) -> list[Document | SkippedFile]:
    """``load_file`` for each of ``files``, in order; unchanged files of a folder come from the ingest cache."""
    from docintel.ingest.cache import DocumentCache, enabled

    # a single file is loaded on its own (root = its folder): it must not replace that folder's cache
    cache = DocumentCache(root, options) if enabled() and len(files) >= CACHE_MIN_FILES else None
    results: list[Document | SkippedFile | None] = [None] * len(files)
    todo = list(range(len(files)))
    if cache is not None:
        todo = []
        for i, rel in enumerate(files):
            cached = cache.get(root, rel)
            if cached is None:
                todo.append(i)
            else:
                results[i] = cached
    done = len(files) - len(todo)

    def report(n: int, _total: int, rel: str) -> None:
        if progress:
            progress(done + n, len(files), rel)

    for i, loaded in zip(todo, _load([files[i] for i in todo], root, options, report), strict=True):
        results[i] = loaded
    if cache is not None:
        cache.save([r for r in results if isinstance(r, Document)])
    return [r for r in results if r is not None]


def _load(
    files: list[str], root: Path, options: IngestOptions, progress: Callable[[int, int, str], None]
) -> list[Document | SkippedFile]:
    workers = _worker_count(len(files))
    if workers > 1:
        try:
            return _load_in_pool(root, files, options, workers, progress)
        except BrokenProcessPool:  # a worker died (killed, out of memory): do it here, in order
            pass
    results = []
    for n, rel in enumerate(files):
        progress(n, len(files), rel)
        results.append(load_file(root, rel, options))
    return results


def _load_in_pool(
    root: Path, files: list[str], options: IngestOptions, workers: int, progress: Callable[[int, int, str], None]
) -> list[Document | SkippedFile]:
    _warm_up()
    global _root, _options
    _root, _options = root, options  # inherited by the forked workers: nothing to pickle per file
    results = []
    try:
        # fork: workers start in milliseconds with the parsers and tokenizer already loaded
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            chunk = max(1, min(32, len(files) // (workers * 8)))
            for n, result in enumerate(pool.map(_load_in_worker, files, chunksize=chunk)):
                progress(n, len(files), files[n])
                results.append(result)
    finally:
        _root = None
    return results
