"""``docintel stats PATH``: what ingestion sees in a corpus."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from docintel.cli.options import JsonOpt, PathArg
from docintel.corpus_stats import corpus_stats


def stats(
    path: PathArg,
    as_json: JsonOpt = False,
    max_file_mb: Annotated[float, typer.Option("--max-file-mb", help="Skip files larger than this.")] = 2.0,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Citation fidelity: clause labels vs stated numbers, cue times and speakers, outlines."
        ),
    ] = False,
) -> None:
    """Documents and segments by kind and language, total tokens, largest documents, skipped files."""
    from rich.table import Table

    from docintel.cli.output import out_console, print_json, progress_bar
    from docintel.ingest import IngestOptions, load_corpus

    started = time.monotonic()
    with progress_bar("Reading", unit="files") as update:
        corpus = load_corpus(path, IngestOptions(max_file_bytes=int(max_file_mb * 1_000_000)), progress=update)
    data = corpus_stats(corpus)
    if check:
        from docintel.eval.fidelity import check_corpus

        data["fidelity"] = check_corpus(corpus).to_dict()
    data["seconds"] = round(time.monotonic() - started, 3)
    if as_json:
        print_json(data)
        return
    out_console.print(
        f"[bold]{data['documents']}[/] documents, [bold]{data['segments']}[/] segments, "
        f"[bold]{data['tokens']:,}[/] tokens in {corpus.root} ({data['seconds']:.2f} s)"
    )
    for title, key in (("kind", "by_kind"), ("language", "by_language")):
        table = Table(title=f"by {title}", title_justify="left")
        for col in (title, "documents", "segments", "tokens"):
            table.add_column(col, justify="left" if col == title else "right")
        for name, row in sorted(data[key].items(), key=lambda kv: -kv[1]["tokens"]):
            table.add_row(name, str(row["documents"]), str(row["segments"]), f"{row['tokens']:,}")
        out_console.print(table)
    table = Table(title="largest documents", title_justify="left")
    for col in ("path", "kind", "tokens"):
        table.add_column(col, justify="right" if col == "tokens" else "left")
    for row in data["largest"]:
        table.add_row(row["path"], row["kind"], f"{row['tokens']:,}")
    out_console.print(table)
    if data.get("encodings"):
        out_console.print(f"{len(data['encodings'])} not UTF-8, read as:")
        for doc_path, encoding in sorted(data["encodings"].items()):
            out_console.print(f"  {doc_path}: {encoding}", markup=False, highlight=False)
    if check:
        _print_fidelity(data["fidelity"])
    kind = data["corpus_kind"]
    out_console.print(f"corpus kind: [bold]{kind['kind']}[/] ({kind['reason']})", highlight=False)
    if data["set_aside"]:
        out_console.print(
            f"[yellow]{len(data['set_aside'])} set aside[/] ({data['set_aside_tokens']:,} tokens; not in the map, "
            "retrieval, full context or audit; `docintel search --include-data` finds them):"
        )
        for row in data["set_aside"][:50]:
            out_console.print(f"  {row['path']}: {row['kind']}, {row['reason']}", markup=False, highlight=False)
    if corpus.skipped:
        out_console.print(f"[yellow]{len(corpus.skipped)} skipped:[/]")
        for s in corpus.skipped[:50]:
            out_console.print(f"  {s.path}: {s.reason}")
        if len(corpus.skipped) > 50:
            out_console.print(f"  … and {len(corpus.skipped) - 50} more (--json lists all)")


def _print_fidelity(fidelity: dict[str, Any]) -> None:
    from docintel.cli.output import out_console

    clauses, cues, outline = fidelity["clauses"], fidelity["transcripts"], fidelity["outline"]

    def pct(rate: float | None) -> str:
        return "-" if rate is None else f"{rate:.2%}"

    out_console.print(
        f"fidelity: clause labels {clauses['agree']}/{clauses['numbered_lines']} ({pct(clauses['rate'])}), "
        f"transcript cues {cues['agree']}/{cues['cues']} ({pct(cues['rate'])}), outline entries "
        f"{outline['entries']} ({outline['running_headers']} running headers, {outline['heading_only']} heading-only)",
        markup=False,
        highlight=False,
    )
    for miss in fidelity["misses"]:
        out_console.print(f"  miss: {miss}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(stats)
