"""``docintel eval --cases FILE.jsonl`` (evidence recall and prompt cost per strategy) and ``docintel eval niah``.

``eval`` is a Typer group that runs the case evaluation when no subcommand is given, so both
``docintel eval --cases x.jsonl`` and ``docintel eval niah`` work.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from docintel.cli.options import BackendOptionsOpt, JsonOpt, check_backend
from docintel.errors import InputError

DEFAULT_PROFILE = "claude-sonnet-4-6"
HAYSTACK_RELATIVE = Path("..") / "shared" / "eval" / "corpora" / "haystack-essays"

eval_app = typer.Typer(
    name="eval",
    help="Evidence recall and prompt cost of the router against always-full and always-retrieve; "
    "`docintel eval niah` for the needle-in-a-haystack heatmap.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
)


class StrategyChoice(StrEnum):
    router = "router"
    full = "full"
    retrieve = "retrieve"


EvalProfileOpt = Annotated[str, typer.Option("--profile", help="Model profile for window and prices.")]
AnswerBackendOpt = Annotated[
    str | None,
    typer.Option("--backend", callback=check_backend, help="Also answer with this backend and score the answers."),
]


def _parse_strategies(text: str) -> list[Any]:
    from docintel.eval.eval_report import STRATEGIES

    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in STRATEGIES]
    if unknown or not chosen:
        raise InputError(f"unknown strategy {unknown[0] if unknown else text!r}; choose from {','.join(STRATEGIES)}")
    return [s for s in STRATEGIES if s in chosen]


def _backend(name: str | None, profile: Any, pairs: list[str] | None = None) -> Any:
    """The backend to answer with, configured from its schema (``--backend-option``) and validated before any
    corpus is read; None when answers are not scored."""
    if not name:
        return None
    from docintel.backends import open_backend
    from docintel.cli.options import backend_config

    config = backend_config(name, pairs)
    return open_backend(config.name, config.options, profile=profile)


@eval_app.callback()
def eval_cases(
    ctx: typer.Context,
    cases: Annotated[
        Path | None, typer.Option("--cases", help="A cases file (JSON lines, see shared/eval/README.md).")
    ] = None,
    corpora: Annotated[
        Path | None,
        typer.Option("--corpora", help="Folder holding the corpora; default: corpora/ beside the cases file's folder."),
    ] = None,
    profile: EvalProfileOpt = DEFAULT_PROFILE,
    as_json: JsonOpt = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N cases of the file.")] = None,
    sample: Annotated[
        int | None,
        typer.Option("--sample", min=1, help="N cases evenly spaced over the file (instead of the first N)."),
    ] = None,
    strategies: Annotated[
        str, typer.Option("--strategies", help="Comma-separated strategies.")
    ] = "router,full,retrieve",
    backend: AnswerBackendOpt = None,
    backend_option: BackendOptionsOpt = None,
    details: Annotated[
        bool, typer.Option("--details", help="With --json: include one row per case and strategy.")
    ] = False,
) -> None:
    """Run the cases of FILE under the router, always-full and always-retrieve; report recall, tokens and cost."""
    if ctx.invoked_subcommand is not None:
        return
    if cases is None:
        raise InputError("give --cases FILE.jsonl (or run `docintel eval niah`); see `docintel eval --help`")

    from docintel.cli.output import print_json, progress_bar
    from docintel.eval.eval_report import report
    from docintel.eval.evaluation import default_corpora_dir, evaluate, load_cases
    from docintel.profiles import get_profile

    model = get_profile(profile)
    chosen = _parse_strategies(strategies)
    loaded = load_cases(cases, limit=limit, sample=sample)
    corpora_dir = corpora or default_corpora_dir(cases)

    def open_progress(name: str) -> Any:
        return progress_bar(f"Indexing {name}", unit="files", delay_s=0.5)

    with progress_bar("Evaluating", unit="cases", delay_s=0.5) as update:
        results = evaluate(
            loaded,
            corpora_dir,
            model,
            strategies=chosen,
            backend=_backend(backend, model, backend_option),
            open_progress=open_progress,
            case_progress=update,
        )
    data = report(results, profile=model, cases_file=str(cases))
    if details:
        data["results"] = [r.to_dict() for r in results]
    answers = _answer_eval(loaded, corpora_dir, backend, model, open_progress, backend_option) if backend else None
    if answers is not None:
        data["answers"] = answers["summary"]
        if details:
            data["answer_results"] = answers["results"]
    if as_json:
        print_json(data)
    else:
        print_table(data)
        if answers is not None:
            print_answer_table(answers["summary"], backend=str(backend))


def _answer_eval(
    cases: Any, corpora_dir: Path, backend: str, model: Any, open_progress: Any, pairs: list[str] | None = None
) -> dict[str, Any]:
    """hit@1/hit@3 of the quoted evidence and "not found" on absent cases (docintel.eval.answer_eval)."""
    from docintel.cli.output import progress_bar
    from docintel.eval.answer_eval import evaluate_answers, summarize_answers

    with progress_bar("Answering", unit="cases", delay_s=0.5) as update:
        results = evaluate_answers(
            cases,
            corpora_dir,
            _backend(backend, model, pairs),
            model,
            open_progress=open_progress,
            case_progress=update,
        )
    return {"summary": summarize_answers(results), "results": [r.to_dict() for r in results]}


def print_answer_table(summary: dict[str, Any], *, backend: str) -> None:
    from rich.table import Table

    from docintel.cli.output import out_console

    table = Table(title=f"Answers ({backend}): evidence hits of the quoted sentences", title_justify="left")
    for col in ("suite/kind", "n", "hit@1", "hit@3", "answered", "not found", "confidence"):
        table.add_column(col, justify="left" if col == "suite/kind" else "right")

    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    for key, s in summary.items():
        table.add_row(
            key,
            str(s["cases"]),
            cell(s["hit@1"]),
            cell(s["hit@3"]),
            cell(s["answered"]),
            cell(s["not_found"]),
            cell(s["mean_confidence"]),
        )
    out_console.print(table)


def print_table(data: dict[str, Any]) -> None:
    from rich.table import Table

    from docintel.cli.output import out_console
    from docintel.eval.eval_report import iter_rows

    table = Table(
        title=f"{Path(data['cases_file']).name}: {data['cases']} cases, profile {data['profile']}", title_justify="left"
    )
    for col in ("suite/kind", "strategy", "n", "recall", "≥½", "tok/case", "$/case", "modes"):
        text = col in ("suite/kind", "strategy", "modes")
        table.add_column(col, justify="left" if text else "right", overflow="fold")
    previous = None
    for group, strategy, s in iter_rows(data):
        if previous is not None and group != previous:
            table.add_section()
        previous = group
        modes = " ".join(f"{m}:{c}" for m, c in sorted(s["modes"].items()))
        table.add_row(
            group,
            strategy,
            str(s["cases"]),
            "N/A" if s["recall"] is None else f"{s['recall']:.3f}",
            "N/A" if s["spans_half_covered"] is None else f"{s['spans_half_covered']:.2f}",
            f"{s['tokens_per_case']:,}",
            f"{s['cost_per_case_usd']:.4f}",
            modes + (f" truncated:{s['truncated']}" if s["truncated"] else ""),
        )
    out_console.print(table)
    ratio = data.get("router_vs_full")
    if ratio:
        out_console.print(
            f"router vs always-full: recall ×{ratio['recall_ratio']}, tokens ×{ratio['token_ratio']}, "
            f"cost ×{ratio['cost_ratio']}"
        )


@eval_app.command("niah")
def eval_niah(
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Haystack corpus (default ../shared/eval/corpora/haystack-essays).")
    ] = None,
    lengths: Annotated[str, typer.Option("--lengths", help="Haystack lengths in tokens (k = 1,000).")] = "8k,32k,128k",
    depths: Annotated[str, typer.Option("--depths", help="Needle depths in percent.")] = "0,25,50,75,100",
    out: Annotated[Path, typer.Option("--out", help="Where to write the heatmap PNG.")] = Path("heatmap.png"),
    profile: EvalProfileOpt = DEFAULT_PROFILE,
    strategy: Annotated[
        StrategyChoice, typer.Option("--strategy", help="router, full or retrieve.")
    ] = StrategyChoice.router,
    backend: AnswerBackendOpt = None,
    backend_option: BackendOptionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Needle in a haystack: depth × length heatmap of whether the needle reaches the prompt (and the answer)."""
    from docintel.cli.output import out_console, print_json, progress_bar
    from docintel.eval.niah import draw_heatmap, parse_depths, parse_lengths, run_niah
    from docintel.profiles import get_profile

    model = get_profile(profile)
    (chosen,) = _parse_strategies(strategy.value)
    haystack = corpus or _default_haystack()
    with progress_bar("Needle in a haystack", unit="cells", delay_s=0.5) as update:
        results = run_niah(
            haystack,
            model,
            lengths=parse_lengths(lengths),
            depths=parse_depths(depths),
            strategy=chosen,
            backend=_backend(backend, model, backend_option),
            progress=update,
        )
    draw_heatmap(results, out, title=f"{haystack.name} · {model.id} · {chosen}")
    if as_json:
        print_json(
            {"heatmap": str(out), "profile": model.id, "strategy": chosen, "cells": [r.to_dict() for r in results]}
        )
        return
    for r in results:
        answer = "" if r.in_answer is None else f", in answer {r.in_answer:.2f}"
        out_console.print(
            f"{r.length:>8,} tokens  depth {r.depth:>3}%  {r.mode:<10} in prompt {r.in_prompt:.2f}{answer}"
        )
    out_console.print(f"heatmap: {out}")


def _default_haystack() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = (base / HAYSTACK_RELATIVE).resolve()
        if candidate.is_dir():
            return candidate
    raise InputError(f"haystack corpus not found at {HAYSTACK_RELATIVE}; pass --corpus DIR")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
