"""``docintel plan``, ``docintel pack`` and ``docintel ask``: the router's decision, the packed context, the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from docintel.errors import DocintelError, InputError

DEFAULT_BACKEND = "extractive"
FORMATS = ("md", "xml", "json")


def _open(path: Path) -> tuple[Any, Any]:
    from docintel.cli.output import progress_bar
    from docintel.index import open_corpus

    if not path.expanduser().exists():
        raise InputError(f"path not found: {path}")
    with progress_bar("Indexing", unit="chunks") as update:
        return open_corpus(path, progress=update)


def _profile_for(profile: str | None, backend: str) -> Any:
    from docintel.profiles import get_profile, load_profiles

    if profile:
        return get_profile(profile)
    if backend in load_profiles():
        return get_profile(backend)
    return None


def plan(
    path: Path = typer.Argument(..., help="A folder or a file."),
    question: str = typer.Argument(..., help="The question."),
    profile: str = typer.Option("claude-sonnet-4-6", "--profile", help="Model profile (window, prices)."),
    budget: int | None = typer.Option(None, "--budget", min=1, help="Cap on prompt tokens."),
    backend: str | None = typer.Option(None, "--backend", help="Backend whose prompt cache state counts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
) -> None:
    """The Plan for a question: full, retrieve or map-reduce, why, and the estimated tokens and cost."""
    from docintel.cli.output import out_console, print_json
    from docintel.pipeline import plan_question
    from docintel.profiles import get_profile

    resolved = get_profile(profile)
    corpus, index = _open(path)
    try:
        result = plan_question(
            corpus, index, question, profile=resolved, budget_tokens=budget, backend_name=backend or resolved.backend
        )
    finally:
        index.close()
    if as_json:
        print_json(result.to_dict())
        return
    t = result.tokens
    out_console.print(f"[bold]{result.mode}[/] ({result.question_type} question, profile {result.profile})")
    for reason in result.reasons:
        out_console.print(f"  - {reason.text}")
    out_console.print(
        f"tokens: {t.total:,} (cache write {t.cache_write:,}, cache read {t.cache_read:,}, uncached {t.uncached:,}); "
        f"estimated cost ${result.cost_usd:.4f}"
    )
    if result.fallback:
        out_console.print(f"fallback: {result.fallback}")


def pack(
    path: Path = typer.Argument(..., help="A folder or a file."),
    question: str = typer.Argument(..., help="The question."),
    budget: int = typer.Option(8000, "--budget", min=1, help="Token budget of the packed context."),
    fmt: str = typer.Option("md", "--format", help="md, xml or json."),
) -> None:
    """The context for a question, cited, within a token budget: for an agent's own model."""
    import sys

    from docintel.pipeline import pack as pack_context

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    corpus, index = _open(path)
    try:
        text = pack_context(corpus, index, question, budget_tokens=budget, fmt=fmt)  # type: ignore[arg-type]
    finally:
        index.close()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def ask(
    path: Path = typer.Argument(..., help="A folder or a file."),
    question: str = typer.Argument(..., help="The question."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend", help="extractive, anthropic, vllm or llamacpp."),
    profile: str | None = typer.Option(None, "--profile", help="Model profile; default: the backend's."),
    model: str | None = typer.Option(None, "--model", help="Model name or GGUF file, for the backend."),
    base_url: str | None = typer.Option(None, "--base-url", help="Server URL, for the backend."),
    budget: int | None = typer.Option(None, "--budget", min=1, help="Cap on prompt tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
    no_redact: bool = typer.Option(
        False, "--no-redact", help="Send secrets found in the corpus as they are (anthropic redacts by default)."
    ),
    cache_ttl: str | None = typer.Option(None, "--cache-ttl", help="anthropic: prompt-cache lifetime, 5m or 1h."),
    n_ctx: int | None = typer.Option(None, "--n-ctx", min=256, help="llamacpp: context size (default: the GGUF's)."),
) -> None:
    """Answer a question with cited spans; the plan and usage are shown too."""
    import sys

    from docintel.backends import get_backend
    from docintel.cli.output import err_console, print_json
    from docintel.pipeline import ask as ask_question

    options: dict[str, Any] = {}
    resolved = _profile_for(profile, backend)
    if resolved is not None:
        options["profile"] = resolved
    if model:
        options["model"] = model
    if base_url:
        options["base_url"] = base_url
    if no_redact and backend == "anthropic":  # local backends do not redact unless DOCINTEL_REDACT=always
        options["redact"] = False
    if cache_ttl is not None:
        if backend != "anthropic" or cache_ttl not in ("5m", "1h"):
            raise DocintelError("--cache-ttl takes 5m or 1h, with --backend anthropic")
        options["cache_ttl"] = cache_ttl
    if n_ctx is not None:
        if backend != "llamacpp":
            raise DocintelError("--n-ctx applies to --backend llamacpp")
        options["n_ctx"] = n_ctx
    engine = get_backend(backend, **options)
    corpus, index = _open(path)

    def stream(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def show_plan(p: Any) -> None:
        err_console.print(f"[dim]plan: {p.mode} — {p.reasons[-1].text}[/]")

    try:
        answer = ask_question(
            corpus,
            index,
            question,
            backend=engine,
            profile=resolved,
            budget_tokens=budget,
            on_text=None if as_json else stream,
            on_plan=None if as_json else show_plan,
        )
    finally:
        index.close()
    if as_json:
        print_json(answer.to_dict())
        return
    _print_answer(answer)


def _print_answer(answer: Any) -> None:
    from docintel.cli.output import out_console

    out_console.print()
    if answer.citations:
        out_console.print("[bold]Sources[/]")
        for c in answer.citations:
            quote = " ".join(c.quote.split())
            out_console.print(f"  [{c.id}] {c.span.label()}", markup=False, highlight=False)
            out_console.print(f"      {quote[:200]}{'…' if len(quote) > 200 else ''}", markup=False, highlight=False)
    if answer.invalid_citations:
        ids = ", ".join(answer.invalid_citations)
        out_console.print(f"[yellow]cited ids that were not in the prompt (not sources): {ids}[/]")
    u = answer.usage
    plan = answer.plan
    out_console.print(
        f"[dim]{plan.mode} via {answer.backend} ({answer.model}); {u.input_tokens:,} input tokens "
        f"(cache write {u.cache_write_tokens:,}, read {u.cache_read_tokens:,}), {u.output_tokens:,} output; "
        f"${u.cost_usd:.4f}; {u.total_s:.2f} s[/]"
    )
    for note in answer.notes:
        out_console.print(f"[dim]note: {note}[/]")


def register(app: typer.Typer) -> None:
    app.command()(plan)
    app.command()(pack)
    app.command()(ask)
