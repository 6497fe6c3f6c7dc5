"""``docintel tui PATH``: the terminal UI (Textual) over one corpus."""

from __future__ import annotations

from pathlib import Path

import typer

from docintel.errors import DocintelError, InputError, MissingExtraError


def tui(
    path: Path = typer.Argument(..., help="A folder or a file."),
    backend: str = typer.Option("extractive", "--backend", help="Backend that answers (changeable in the UI)."),
    profile: str | None = typer.Option(
        None, "--profile", help="Model profile for planning and pricing (default: the backend's own)."
    ),
) -> None:
    """Browse the corpus, ask questions and read the cited evidence in a terminal UI."""
    from docintel.backends import REGISTRY

    if not path.expanduser().exists():
        raise InputError(f"path not found: {path}")
    if backend not in REGISTRY:
        raise DocintelError(f"unknown backend {backend!r}; choose one of: {', '.join(REGISTRY)}")
    if profile is not None:
        from docintel.profiles import get_profile

        get_profile(profile)  # an unknown profile is a one-line error here, not a notification later
    try:
        import textual  # noqa: F401
    except ImportError as e:
        raise MissingExtraError("textual", "tui") from e
    from docintel.tui.app import run

    run(path.expanduser(), backend=backend, profile=profile)


def register(app: typer.Typer) -> None:
    app.command()(tui)
