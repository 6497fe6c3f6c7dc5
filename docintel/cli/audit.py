"""``docintel audit PATH``: run a checklist over a corpus and write a Markdown, JSON or SARIF report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

FORMATS = ("md", "json", "sarif")
SEVERITY_NAMES = ("info", "low", "medium", "high", "critical")


def audit(
    path: Path = typer.Argument(..., help="A folder or a file."),
    checklist: str | None = typer.Option(
        None,
        "--checklist",
        help="A packaged checklist (code-security, contract-review) or a YAML file. "
        "Default: chosen by the corpus kind.",
    ),
    fmt: str = typer.Option("md", "--format", help="Report format: md, json or sarif."),
    out: Path | None = typer.Option(None, "--out", help="Write the report to this file instead of stdout."),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help="Exit 3 when a finding is at or above this severity (info, low, medium, high, critical).",
    ),
    backend: str = typer.Option("extractive", "--backend", help="extractive (no model), anthropic, vllm, llamacpp."),
    profile: str | None = typer.Option(
        None, "--profile", help="Model profile for routing and pricing (e.g. claude-sonnet-4-6)."
    ),
) -> None:
    """Ask every checklist item like any question; findings carry citations. Exit 3 with --fail-on."""
    from docintel.api import open as open_corpus
    from docintel.audit.checklists import default_checklist, load_checklist
    from docintel.audit.report import render
    from docintel.audit.runner import run_audit
    from docintel.cli.output import err_console, progress_bar

    if fmt not in FORMATS:
        raise typer.BadParameter(f"choose one of: {', '.join(FORMATS)}", param_hint="--format")
    if fail_on is not None and fail_on.lower() not in SEVERITY_NAMES:
        raise typer.BadParameter(f"choose one of: {', '.join(SEVERITY_NAMES)}", param_hint="--fail-on")
    chosen = load_checklist(checklist) if checklist else None  # a bad checklist fails before indexing

    with progress_bar("Indexing", unit="files") as update:
        handle = open_corpus(path, progress=update)
    chosen = chosen or default_checklist(handle.corpus)
    with progress_bar(f"Auditing ({chosen.name})", unit="items", delay_s=0.0) as update:
        report = run_audit(handle, chosen, backend=backend, profile=profile, progress=update)
    text = render(report, fmt)  # type: ignore[arg-type]
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_atomically(out, text)
        err_console.print(f"wrote {out}")
    worst = report.worst_finding() or "none"
    err_console.print(
        f"{report.findings} {'candidate ' if report.verdict == 'evidence_only' else ''}findings in "
        f"{len(report.items)} items (worst: {worst}) in {report.seconds:.1f} s"
    )
    if report.fails(fail_on.lower() if fail_on else None):
        raise typer.Exit(3)


def _write_atomically(target: Path, text: str) -> None:
    """Nothing half-written: the report appears whole or not at all."""
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    app.command()(audit)
