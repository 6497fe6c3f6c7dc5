"""``docintel serve index|status|stop``: the background process that answers questions with everything loaded
(docintel.cli.daemon). The ``docintel`` command starts it on its own after a question; these commands are for seeing
and controlling it."""

from __future__ import annotations

import sys

import typer


def index() -> None:
    """Run the question-answering process in the foreground (Ctrl-C stops it); `docintel ask/search/pack/plan`
    in other shells with the same DOCINTEL_HOME and settings use it."""
    from docintel.cli.daemon import server

    try:
        status = server.serve()
    except KeyboardInterrupt:
        status = 0
    if status == 0 and not server.served_here:
        typer.echo(f"docintel: a background process already serves this caller ({_address()})", err=True)
    sys.exit(status)


def status() -> None:
    """Say whether a background process serves this caller (same user, DOCINTEL_HOME, code and settings)."""
    from docintel.cli.daemon import address, client

    running = client.is_running()
    typer.echo(f"{'running' if running else 'not running'}: {_address()}")
    if not address.enabled():
        typer.echo(f"{address.ENV_SWITCH}=0: commands run in their own process")
    sys.exit(0 if running else 1)


def stop() -> None:
    """Stop the background process of this caller (the next question starts a new one)."""
    from docintel.cli.daemon import server

    typer.echo("stopped" if server.stop() else "not running")


def _address() -> str:
    from docintel.cli.daemon import address

    return str(address.socket_path())


def register(app: typer.Typer) -> None:
    from docintel.cli.serve import serve_app

    serve_app.command("index")(index)
    serve_app.command("status")(status)
    serve_app.command("stop")(stop)
