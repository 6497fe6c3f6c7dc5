"""``docintel mcp [--root PATH]...``: serve docintel to agents over MCP (stdio)."""

from __future__ import annotations

from pathlib import Path

import typer


def mcp(
    root: list[Path] = typer.Option(
        None, "--root", help="A folder (or file) the agent may read; repeat for several. Default: the current folder."
    ),
    backend: str = typer.Option("extractive", "--backend", help="Backend that answers `ask` calls."),
    profile: str | None = typer.Option(None, "--profile", help="Model profile used for planning and pricing."),
) -> None:
    """Run an MCP server over stdio with the tools ask, search, plan, pack and outline."""
    from docintel.mcp_server import serve

    serve(root or [Path.cwd()], backend=backend, profile=profile)


def register(app: typer.Typer) -> None:
    app.command()(mcp)
