"""``docintel tui PATH``: the terminal UI (Textual) over one corpus."""

from __future__ import annotations

import typer

from docintel.cli.options import BackendOpt, BackendOptionsOpt, PathArg, ProfileOpt, backend_config
from docintel.errors import InputError, MissingExtraError


def tui(
    path: PathArg,
    backend: BackendOpt = "extractive",
    backend_option: BackendOptionsOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Browse the corpus, ask questions and read the cited evidence in a terminal UI (the backend can be changed
    in the UI; its options come from --backend-option)."""
    if not path.expanduser().exists():
        raise InputError(f"path not found: {path}")
    # an unknown profile or a bad option is a one-line error here, not a notification later
    config = backend_config(backend, backend_option, profile)
    try:
        import textual  # noqa: F401
    except ImportError as e:
        raise MissingExtraError("textual", "tui") from e
    from docintel.tui.app import run

    run(path.expanduser(), backend=config.name, profile=profile, backend_options=config.options)


def register(app: typer.Typer) -> None:
    app.command()(tui)
