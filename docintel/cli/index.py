"""``docintel index PATH`` and ``docintel search PATH QUERY``: build or update a corpus index, and query it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from docintel.corpus import Corpus
    from docintel.index import CorpusIndex, Hit, UpdateReport

PREVIEW_CHARS = 160


def _open(path: Path, model: str | None) -> tuple[Corpus, CorpusIndex, UpdateReport]:
    """Read the corpus and bring its index up to date, with progress bars on stderr."""
    from docintel.cli.output import err_console, progress_bar
    from docintel.index import CorpusIndex
    from docintel.ingest import load_corpus

    with progress_bar("Reading", unit="files") as update_files:
        corpus = load_corpus(path, progress=update_files)
    index = CorpusIndex.open(path, model=model)
    try:
        with progress_bar("Embedding", unit="chunks") as update_chunks:
            report = index.update(corpus, update_chunks)
    except BaseException:
        index.close()
        raise
    if report.message:
        err_console.print(f"[yellow]{report.message}[/]")
    return corpus, index, report


def index(
    path: Path = typer.Argument(..., help="A folder or a file."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Embedding model: a local sentence-transformers folder or name "
        "(default: $DOCINTEL_EMBED_MODEL, else the bundled all-MiniLM-L6-v2).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the update report as JSON to stdout."),
) -> None:
    """Build or update the search index of a corpus (only changed files are re-embedded)."""
    from docintel.cli.output import out_console, print_json

    _corpus, corpus_index, report = _open(path, model)
    try:
        data: dict[str, Any] = {**report.to_dict(), "directory": str(corpus_index.directory)}
    finally:
        corpus_index.close()
    if as_json:
        print_json(data)
        return
    rate = (
        f", {report.embedded_chunks / report.seconds:,.1f} chunks/s"
        if report.embedded_chunks and report.seconds
        else ""
    )
    out_console.print(
        f"{report.total_chunks:,} chunks in the index ({report.added_files} added, {report.changed_files} changed, "
        f"{report.removed_files} removed, {report.unchanged_files} unchanged files); embedded "
        f"{report.embedded_chunks:,}, removed {report.removed_chunks:,} chunks in {report.seconds:.2f} s{rate}",
        highlight=False,
    )
    out_console.print(
        f"[dim]index: {corpus_index.directory} ({report.vector_kind}, {report.model})[/]", highlight=False
    )


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    span = hit.chunk.span
    return {
        **span.to_dict(),
        "score": round(hit.score, 6),
        "name": hit.chunk.name,
        "unit": hit.chunk.unit,
        "chunk_id": hit.chunk.id,
        "vector_rank": hit.vector_rank,
        "lexical_rank": hit.lexical_rank,
        "text": hit.chunk.text,
    }


def search(
    path: Path = typer.Argument(..., help="A folder or a file."),
    query: str = typer.Argument(..., help="What to look for, in words or identifiers."),
    k: int = typer.Option(10, "--k", "-k", min=1, help="How many hits."),
    mode: str = typer.Option("fused", "--mode", help="fused (vector + BM25), vector or lexical."),
    model: str | None = typer.Option(None, "--model", help="Embedding model (see `docintel index --help`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
) -> None:
    """The chunks that best match QUERY, with path, lines, unit name and score (indexes the corpus first if
    needed)."""
    from docintel.cli.output import out_console, print_json
    from docintel.errors import DocintelError
    from docintel.index import SEARCH_MODES

    if mode not in SEARCH_MODES:
        raise DocintelError(f"unknown --mode {mode!r}; use one of: {', '.join(SEARCH_MODES)}")
    _corpus, corpus_index, _report = _open(path, model)
    try:
        started = time.monotonic()
        hits = corpus_index.search(query, k, mode=mode)
        seconds = time.monotonic() - started
    finally:
        corpus_index.close()
    if as_json:
        print_json({"query": query, "mode": mode, "seconds": round(seconds, 4), "hits": [hit_to_dict(h) for h in hits]})
        return
    if not hits:
        out_console.print("no matches")
        return
    for n, hit in enumerate(hits, 1):
        span = hit.chunk.span
        lines = f"{span.start_line}" if span.start_line == span.end_line else f"{span.start_line}-{span.end_line}"
        name = f"  [cyan]{hit.chunk.name}[/]" if hit.chunk.name else ""
        out_console.print(f"[bold]{n:>2}. {span.path}:{lines}[/]{name}  [dim]score {hit.score:.4f}[/]", highlight=False)
        preview = " ".join(hit.chunk.text.split())
        if len(preview) > PREVIEW_CHARS:
            preview = preview[: PREVIEW_CHARS - 1] + "…"
        out_console.print(f"    {preview}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command()(index)
    app.command()(search)
