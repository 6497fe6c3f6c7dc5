"""``docintel mcp [--root PATH]...``: serve docintel to agents over MCP (stdio)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from docintel.cli.options import BackendOpt, BackendOptionsOpt, ProfileOpt, backend_config


def mcp(
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root", help="A folder (or file) the agent may read; repeat for several. Default: the current folder."
        ),
    ] = None,
    backend: BackendOpt = "extractive",
    backend_option: BackendOptionsOpt = None,
    profile: ProfileOpt = None,
) -> None:
    """Run an MCP server over stdio with the tools ask, search, plan, pack and outline."""
    config = backend_config(backend, backend_option, profile)  # checked before the server starts
    from docintel.mcp_server import serve

    serve(root or [Path.cwd()], backend=config.name, profile=profile, backend_options=config.options)


def register(app: typer.Typer) -> None:
    app.command()(mcp)
