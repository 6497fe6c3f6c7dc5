"""``docintel index PATH`` and ``docintel search PATH QUERY``: build or update a corpus index, and query it.

Both open the corpus as a Session (docintel.session), like every other command.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from docintel.cli.options import JsonOpt, PathArg, SearchModeChoice, open_session

if TYPE_CHECKING:
    from docintel.index.corpus_index import Hit

PREVIEW_CHARS = 160

EmbedModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Embedding model: a local sentence-transformers folder or name "
        "(default: $DOCINTEL_EMBED_MODEL, else the bundled all-MiniLM-L6-v2).",
    ),
]


VectorStoreOpt = Annotated[
    str | None,
    typer.Option(
        "--vector-store",
        help="Where vectors live: faiss (default), milvus://HOST:PORT, milvus+https://HOST:PORT, milvus-lite or "
        "milvus-lite:///PATH.db (default: $DOCINTEL_VECTOR_STORE, else what the index already uses).",
    ),
]


def index(
    path: PathArg,
    model: EmbedModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the update report as JSON to stdout.")] = False,
    vector_store: VectorStoreOpt = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Embed new chunks on a Ray cluster with Ray Data: auto ($RAY_ADDRESS), HOST:PORT, ray://HOST:10001, "
            "or local (start one here).",
        ),
    ] = None,
) -> None:
    """Build or update the search index of a corpus (only changed files are re-embedded)."""
    from docintel.cli.output import out_console, print_json

    with open_session(path, embed_model=model, vector_store=vector_store, ray_address=ray) as session:
        report = session.report
        assert report is not None  # a Session opened from a path always has its update report
        data: dict[str, Any] = {**report.to_dict(), "directory": str(session.index.directory)}
        directory = session.index.directory
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
        f"{report.embedded_chunks:,}"
        + (f" (+{report.cached_chunks:,} from the shared embedding cache)" if report.cached_chunks else "")
        + f", removed {report.removed_chunks:,} chunks in {report.seconds:.2f} s{rate}",
        highlight=False,
    )
    out_console.print(f"[dim]index: {directory} ({report.vector_kind}, {report.model})[/]", highlight=False)


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    span = hit.chunk.span
    return {
        **span.to_dict(),
        "label": span.label(),
        "score": round(hit.score, 6),
        "name": hit.chunk.name,
        "unit": hit.chunk.unit,
        "chunk_id": hit.chunk.id,
        "vector_rank": hit.vector_rank,
        "lexical_rank": hit.lexical_rank,
        "text": hit.chunk.text,
    }


def search(
    path: PathArg,
    query: Annotated[str, typer.Argument(help="What to look for, in words or identifiers.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="How many hits.")] = 10,
    mode: Annotated[
        SearchModeChoice, typer.Option("--mode", help="fused (vector + BM25), vector or lexical.")
    ] = SearchModeChoice.fused,
    model: EmbedModelOpt = None,
    as_json: JsonOpt = False,
    vector_store: VectorStoreOpt = None,
    include_data: Annotated[
        bool,
        typer.Option(
            "--include-data", help="Also search files set aside as data, vendored libraries or generated code."
        ),
    ] = False,
) -> None:
    """The chunks that best match QUERY, with path, lines, unit name and score (indexes the corpus first if
    needed)."""
    from docintel.cli.output import out_console, print_json

    with open_session(path, embed_model=model, vector_store=vector_store) as session:
        started = time.monotonic()
        hits = session.search(query, k, mode=mode.value, include_data=include_data)
        seconds = time.monotonic() - started
    if as_json:
        print_json(
            {"query": query, "mode": mode.value, "seconds": round(seconds, 4), "hits": [hit_to_dict(h) for h in hits]}
        )
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
