"""``docintel plan``, ``docintel pack`` and ``docintel ask``: the router's decision, the packed context, the answer.

All three open the corpus as a Session (docintel.session) and default to the same profile logic
(``resolve_profile``: ``--profile``, else the backend's model's profile, else the backend's own).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from docintel.cli.options import (
    BackendOpt,
    BackendOptionsOpt,
    BudgetOpt,
    ExpectOpt,
    JsonOpt,
    ModeOpt,
    NoRedactOpt,
    PackFormatChoice,
    PathArg,
    PreferChoice,
    PreferOpt,
    ProfileOpt,
    QuestionArg,
    backend_config,
    open_session,
    route_kwargs,
)
from docintel.inputs import require_question


def plan(
    path: PathArg,
    question: QuestionArg,
    backend: BackendOpt = "extractive",
    backend_option: BackendOptionsOpt = None,
    profile: ProfileOpt = None,
    budget: BudgetOpt = None,
    mode: ModeOpt = None,
    prefer: PreferOpt = PreferChoice.balanced,
    expect_questions: ExpectOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    """The Plan for a question: full, retrieve or map-reduce, why, and the estimated tokens and cost (no model
    runs; the backend's key or model file is not needed)."""
    require_question(question)  # at once: before reading or indexing the corpus
    from docintel.cli.output import out_console, print_json

    config = backend_config(backend, backend_option, profile, planning_only=True)
    with open_session(path, config) as session:
        result = session.plan(question, budget_tokens=budget, **route_kwargs(mode, prefer, expect_questions))
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
    path: PathArg,
    question: QuestionArg,
    budget: Annotated[int, typer.Option("--budget", min=1, help="Token budget of the packed context.")] = 8000,
    fmt: Annotated[PackFormatChoice, typer.Option("--format", help="md, xml or json.")] = PackFormatChoice.md,
    profile: ProfileOpt = None,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Keep secrets in the packed text (redacted by default).")
    ] = False,
) -> None:
    """The context for a question, cited, within a token budget: for an agent's own model."""
    require_question(question)  # at once: before reading or indexing the corpus
    import sys

    with open_session(path) as session:
        text = session.pack(
            question, budget_tokens=budget, fmt=fmt.value, profile=profile, redact=False if no_redact else None
        )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def ask(
    path: PathArg,
    question: QuestionArg,
    backend: BackendOpt = "extractive",
    backend_option: BackendOptionsOpt = None,
    profile: ProfileOpt = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name or GGUF file (= -o model=...).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Server URL (= -o base_url=...).")] = None,
    budget: BudgetOpt = None,
    mode: ModeOpt = None,
    prefer: PreferOpt = PreferChoice.balanced,
    expect_questions: ExpectOpt = 1,
    as_json: JsonOpt = False,
    no_redact: NoRedactOpt = False,
    cache_ttl: Annotated[
        str | None, typer.Option("--cache-ttl", help="anthropic: prompt-cache lifetime, 5m or 1h (= -o cache_ttl=).")
    ] = None,
    n_ctx: Annotated[
        int | None, typer.Option("--n-ctx", min=256, help="llamacpp: context size (= -o n_ctx=...).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Seconds per backend call (= -o timeout_s=...).")
    ] = None,
) -> None:
    """Answer a question with cited spans; the plan and usage are shown too."""
    require_question(question)  # at once: before reading or indexing the corpus
    import sys

    from docintel.cli.output import err_console, print_json
    from docintel.display import StreamFilter, answer_json

    config = backend_config(
        backend,
        backend_option,
        profile,
        model=model,
        base_url=base_url,
        cache_ttl=cache_ttl,
        n_ctx=n_ctx,
        timeout_s=timeout,
        redact=False if no_redact else None,
    )
    shown = StreamFilter(sys.stdout.write, flush=sys.stdout.flush)

    def show_plan(p: Any) -> None:
        err_console.print(f"[dim]plan: {p.mode} — {p.reasons[-1].text}[/]")

    with open_session(path, config) as session:
        answer = session.ask(
            question,
            budget_tokens=budget,
            on_text=None if as_json else shown,
            on_plan=None if as_json else show_plan,
            **route_kwargs(mode, prefer, expect_questions),
        )
    shown.close()
    if as_json:
        print_json(answer_json(answer))
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
