"""Options shared by the commands: Annotated Typer types, Enum choices, and one way to configure a backend.

Invalid choices exit 2 (Typer's usage error) everywhere: an Enum for fixed sets, a callback for the backend name
(checked against the registry at run time, so a backend registered by a plug-in or a test is accepted).
Every command that answers (ask, audit, eval, mcp, tui) builds its backend from ``backend_config``: ``--backend``,
repeated ``--backend-option KEY=VALUE`` (any option of the backend's schema, see ``docintel backends``) and the
shortcuts ``--model``, ``--base-url``, ... that fill the same options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from docintel.backends import DEFAULT_BACKEND, REGISTRY, parse_option_pairs

if TYPE_CHECKING:
    from docintel.session import BackendConfig, Session


class SearchModeChoice(StrEnum):
    fused = "fused"
    vector = "vector"
    lexical = "lexical"


class PackFormatChoice(StrEnum):
    md = "md"
    xml = "xml"
    json = "json"


class ModeChoice(StrEnum):
    full = "full"
    retrieve = "retrieve"
    map_reduce = "map_reduce"


class PreferChoice(StrEnum):
    cost = "cost"
    balanced = "balanced"
    quality = "quality"


def check_backend(value: str | None) -> str | None:
    if value is not None and value not in REGISTRY:
        raise typer.BadParameter(f"unknown backend {value!r}; choose one of: {', '.join(REGISTRY)}")
    return value


PathArg = Annotated[Path, typer.Argument(help="A folder or a file.")]
QuestionArg = Annotated[str, typer.Argument(help="The question.")]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend", callback=check_backend, help="extractive (no model), anthropic, vllm, llamacpp, or a plug-in."
    ),
]
BackendOptionsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--backend-option",
        "-o",
        metavar="KEY=VALUE",
        help="A backend option (repeatable), e.g. -o n_ctx=4096; `docintel backends` lists each backend's options.",
    ),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="Model profile (window, prices); default: the backend's.")
]
BudgetOpt = Annotated[int | None, typer.Option("--budget", min=1, help="Cap on prompt tokens.")]
ModeOpt = Annotated[
    ModeChoice | None, typer.Option("--mode", help="Force a mode instead of routing: full, retrieve or map_reduce.")
]
PreferOpt = Annotated[
    PreferChoice, typer.Option("--prefer", help="Weigh the route toward cost, balanced or quality (recall).")
]
ExpectOpt = Annotated[
    int,
    typer.Option(
        "--expect-questions", min=1, help="Questions you expect to ask this corpus (a cached prefix is shared)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]
NoRedactOpt = Annotated[
    bool, typer.Option("--no-redact", help="Send secrets as they are (remote destinations are redacted by default).")
]


def backend_config(
    backend: str = DEFAULT_BACKEND,
    pairs: list[str] | None = None,
    profile: str | None = None,
    *,
    planning_only: bool = False,
    **shortcuts: Any,
) -> BackendConfig:
    """The backend a command was asked for, validated (one line, exit 1, before anything is read or loaded).
    ``shortcuts`` are named flags that fill options (``model=``, ``base_url=``...); None means not given.
    ``planning_only``: nothing will be generated, so a missing key or model file is not an error."""
    from docintel.session import BackendConfig

    options: dict[str, Any] = parse_option_pairs(pairs or [])
    options.update({k: v for k, v in shortcuts.items() if v is not None})
    return BackendConfig(backend, options, profile, planning_only=planning_only).check()


@contextmanager
def open_session(
    path: Path,
    config: BackendConfig | None = None,
    *,
    embed_model: str | None = None,
    vector_store: str | None = None,
    ray_address: str | None = None,
) -> Iterator[Session]:
    """Open ``path`` as a Session with progress bars on stderr (reading files, then embedding chunks)."""
    from docintel import session
    from docintel.cli.daemon import pool
    from docintel.cli.output import err_console, progress_bar

    # One live bar at a time (rich allows no more): reading ends when embedding starts.
    with ExitStack() as reading, ExitStack() as embedding:
        read = reading.enter_context(progress_bar("Reading", unit="files"))
        bars: list[Callable[..., None]] = []

        def embed(done: int, total: int, current: str = "") -> None:
            if not bars:
                reading.close()
                bars.append(embedding.enter_context(progress_bar("Embedding", unit="chunks")))
            bars[0](done, total, current)

        def opener() -> Session:
            return session.open(
                path,
                backend=config or session.BackendConfig(),
                load_progress=read,
                progress=embed,
                embed_model=embed_model,
                vector_store=vector_store,
                ray_address=ray_address,
            )

        if pool.active():  # in the background process (docintel.cli.daemon): kept open for the next command
            opened, _new = pool.session(
                path, config or session.BackendConfig(), (embed_model, vector_store, ray_address), opener
            )
        else:
            opened = opener()
    try:
        if opened.report is not None and opened.report.message:
            err_console.print(f"[yellow]{opened.report.message}[/]")
        yield opened
    finally:
        if not pool.active():
            opened.close()


def route_kwargs(mode: ModeChoice | None, prefer: PreferChoice, expect_questions: int) -> Mapping[str, Any]:
    return {"mode": mode.value if mode else None, "prefer": prefer.value, "expect_questions": expect_questions}
