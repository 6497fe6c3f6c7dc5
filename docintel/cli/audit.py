"""``docintel audit PATH``: run a checklist over a corpus and write a Markdown, JSON or SARIF report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from docintel.cli.options import BackendOpt, BackendOptionsOpt, PathArg, ProfileOpt, backend_config, open_session


class ReportFormat(StrEnum):
    md = "md"
    json = "json"
    sarif = "sarif"


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


def audit(
    path: PathArg,
    checklist: Annotated[
        str | None,
        typer.Option(
            "--checklist",
            help="A packaged checklist (code-security, contract-review) or a YAML file. "
            "Default: chosen by the corpus kind.",
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Report format: md, json or sarif.")] = ReportFormat.md,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.")] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option("--fail-on", help="Exit 3 when a finding is at or above this severity.", case_sensitive=False),
    ] = None,
    backend: BackendOpt = "extractive",
    backend_option: BackendOptionsOpt = None,
    profile: ProfileOpt = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name or GGUF file (= -o model=...).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Server URL (= -o base_url=...).")] = None,
) -> None:
    """Ask every checklist item like any question; findings carry citations. Exit 3 with --fail-on."""
    from docintel.audit.checklists import default_checklist, load_checklist
    from docintel.audit.report import render
    from docintel.audit.runner import run_audit
    from docintel.cli.output import err_console, progress_bar

    # the backend and the checklist fail before anything is read or indexed
    config = backend_config(backend, backend_option, profile, model=model, base_url=base_url)
    chosen = load_checklist(checklist) if checklist else None

    with open_session(path, config) as handle:
        chosen = chosen or default_checklist(handle.corpus)
        with progress_bar(f"Auditing ({chosen.name})", unit="items", delay_s=0.0) as update:
            report = run_audit(handle, chosen, profile=profile, progress=update)
    text = render(report, fmt.value)
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
    if report.fails(fail_on.value if fail_on else None):
        raise typer.Exit(3)


def _write_atomically(target: Path, text: str) -> None:
    """Nothing half-written: the report appears whole or not at all."""
    from docintel.atomic import replace_atomically

    target = target.expanduser()
    replace_atomically(target, lambda f: f.write(text.encode("utf-8")), prefix=f".{target.name}.")


def register(app: typer.Typer) -> None:
    app.command()(audit)
