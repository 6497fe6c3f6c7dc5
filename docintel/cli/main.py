"""Entry point of the ``docintel`` command: builds the Typer app and turns DocintelError into one line."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from docintel import __version__
from docintel.errors import DocintelError

# Each module defines register(app). Keep imports inside those modules' commands light: heavy libraries load
# lazily so `docintel --help` starts fast.
COMMAND_MODULES = [
    "docintel.cli.stats",
    "docintel.cli.ask",
    "docintel.cli.backends",
    "docintel.cli.eval",
    "docintel.cli.audit",
    "docintel.cli.mcp",
    "docintel.cli.serve",
    "docintel.cli.background",
    "docintel.cli.index",
    "docintel.cli.tui",
]

app = typer.Typer(
    name="docintel",
    help="Answer questions about code, contracts and transcripts, choosing per question between a full "
    "long-context pass and retrieval, with exact citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"docintel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", help="No progress on stderr (also accepted after the command; or DOCINTEL_QUIET=1)."),
    ] = False,
) -> None:
    """docintel"""
    if quiet:
        from docintel.progress import set_quiet

        set_quiet()


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _take_quiet(argv: list[str]) -> list[str]:
    """``--quiet`` anywhere before a ``--`` silences progress (docintel.progress), like the root option."""
    end = argv.index("--") if "--" in argv else len(argv)
    if "--quiet" not in argv[:end]:
        return argv
    from docintel.progress import set_quiet

    set_quiet()
    return [a for a in argv[:end] if a != "--quiet"] + argv[end:]


def run(argv: list[str]) -> int:
    """Run one ``docintel`` command line; its exit status (a DocintelError is one line on stderr)."""
    try:
        app(args=_take_quiet(argv), prog_name="docintel")
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except DocintelError as e:
        print(f"docintel: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("docintel: interrupted", file=sys.stderr)
        return 130
    return 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
