"""The evaluation table: every dev case file under one profile, router vs always-full vs always-retrieve.

    .venv/bin/python benchmarks/eval_table.py [--profile claude-sonnet-4-6] [--limit N] [--cases-dir DIR]
                                              [--json OUT.json] [--markdown OUT.md]

Prints one Markdown table (suite/kind rows, per strategy: recall, spans at least half covered, prompt tokens per
case, cost per case), then the pooled "mixed" rows over every case file and the issue's goals checked against them.
Same numbers as ``docintel eval --cases X.jsonl --profile P`` per file (each file is evaluated the same way).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT.parent / "shared" / "eval" / "cases"


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "N/A" if value is None else format(value, spec)


def markdown_rows(data: dict[str, Any], label: str) -> list[str]:
    rows = []
    groups = [(f"{label}: {g}", by_s) for g, by_s in data["by_suite_kind"].items()]
    if len(data["by_kind"]) > 1:
        groups += [(f"{label}: all/{g}", by_s) for g, by_s in data["by_kind"].items()]
    groups.append((f"{label}: all", data["strategies"]))
    for group, by_s in groups:
        cells = []
        for s in ("router", "full", "retrieve"):
            x = by_s.get(s)
            if x is None:
                cells.append("– | – | –")
                continue
            cells.append(f"{_fmt(x['recall'])} | {x['tokens_per_case']:,} | {x['cost_per_case_usd']:.4f}")
        router = by_s.get("router", {})
        modes = " ".join(f"{m}:{c}" for m, c in sorted(router.get("modes", {}).items()))
        truncated = by_s.get("full", {}).get("truncated", 0)
        n = next(iter(by_s.values()))["cases"]
        rows.append(f"| {group} | {n} | " + " | ".join(cells) + f" | {modes} | {truncated or ''} |")
    return rows


HEADER = (
    "| suite/kind | cases | router recall | router tok/case | router $/case | full recall | full tok/case | "
    "full $/case | retrieve recall | retrieve tok/case | retrieve $/case | router modes | full truncated |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
)


def goals(mixed: dict[str, Any], by_kind: dict[str, Any], map_reduce: str | None = None) -> list[str]:
    """The routing issue's goals checked against the pooled report (Sonnet 4.6 profile)."""
    s = mixed["strategies"]
    out = []
    rows = mixed.get("by_suite_kind", {})
    low = [
        f"{g} {_fmt(x['router']['recall'])}"
        for g, x in rows.items()
        if "router" in x and x["router"]["recall"] is not None and x["router"]["recall"] < 0.95
    ]
    out.append(f"- router recall ≥ 0.95 on every suite and kind: {'met' if not low else 'NOT met: ' + ', '.join(low)}")
    below = [
        f"{g} {_fmt(x['router']['recall'])} < {_fmt(x['retrieve']['recall'])}"
        for g, x in rows.items()
        if "router" in x
        and "retrieve" in x
        and x["router"]["recall"] is not None
        and x["retrieve"]["recall"] is not None
        and x["router"]["recall"] + 1e-9 < x["retrieve"]["recall"]
    ]
    out.append(f"- router never below always-retrieve: {'met' if not below else 'NOT met: ' + ', '.join(below)}")
    fits = [
        (g, x["router"]["recall"] / x["full"]["recall"])
        for g, x in rows.items()
        if "router" in x
        and "full" in x
        and not x["full"].get("truncated")
        and x["full"]["recall"]
        and x["router"]["recall"] is not None
    ]
    worst = min(fits, key=lambda t: t[1]) if fits else None
    if worst:
        # pooled over every case where full fits (recall weighted by cases), and the worst suite/kind on its own
        fitting = [rows[g] for g, _ in fits]
        weight = [x["router"]["recall_cases"] for x in fitting]
        router = sum(x["router"]["recall"] * w for x, w in zip(fitting, weight, strict=True)) / max(1, sum(weight))
        full = sum(x["full"]["recall"] * w for x, w in zip(fitting, weight, strict=True)) / max(1, sum(weight))
        ratio = router / full if full else 0.0
        out.append(
            f"- where full fits, router recall ≥ 0.97 × always-full: pooled over {sum(weight)} cases {router:.3f} vs "
            f"{full:.3f} ({ratio:.3f}x): {'met' if ratio >= 0.97 else 'NOT met'}; per suite/kind, worst "
            f"{worst[0]} {worst[1]:.3f}: {'met' if worst[1] >= 0.97 else 'NOT met'}"
        )
    if "router" in s and "full" in s and s["full"]["cost_usd"]:
        cr = s["router"]["cost_usd"] / s["full"]["cost_usd"]
        out.append(f"- prompt cost ≤ 0.3 × always-full over all cases: {cr:.3f}: {'met' if cr <= 0.3 else 'NOT met'}")
    code = [x["router"]["recall"] for g, x in rows.items() if g.startswith("code-") and g.endswith("/lookup")]
    if code and all(r is not None for r in code):
        n = [x["router"]["recall_cases"] for g, x in rows.items() if g.startswith("code-") and g.endswith("/lookup")]
        mean = sum(r * k for r, k in zip(code, n, strict=True)) / max(1, sum(n))
        out.append(f"- code lookups ≥ 0.90: {mean:.3f}: {'met' if mean >= 0.9 else 'NOT met'}")
    if map_reduce:
        out.append(f"- map-reduce: {map_reduce}")
    return out


def map_reduce_repeat_cost(results: list[Any]) -> str | None:
    """Router map-reduce cases per corpus: the first question's cost against the mean of the later ones."""
    by_corpus: dict[str, list[float]] = {}
    for r in results:
        if r.strategy == "router" and r.mode.startswith("map_reduce"):
            by_corpus.setdefault(r.case.corpus, []).append(r.cost_usd)
    parts = []
    for corpus, costs in by_corpus.items():
        if len(costs) > 1:
            later = sum(costs[1:]) / len(costs[1:])
            ratio = later / costs[0] if costs[0] else 0.0
            parts.append(f"{corpus}: first ${costs[0]:.4f}, later ${later:.4f} ({ratio:.2f}x, goal ≤ 0.25)")
    return "; ".join(parts) or None


def pool(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One strategy's summaries of several runs pooled, as if they had been one run (recall weighted by cases)."""
    n = sum(x["cases"] for x in summaries)
    rn = sum(x["recall_cases"] for x in summaries)
    tokens = {k: sum(x["tokens"][k] for x in summaries) for k in ("total", "cache_write", "cache_read", "uncached")}
    cost = sum(x["cost_usd"] for x in summaries)
    modes: dict[str, int] = {}
    for x in summaries:
        for m, c in x["modes"].items():
            modes[m] = modes.get(m, 0) + c

    def weighted(key: str) -> float | None:
        parts = [(x[key], x["recall_cases"]) for x in summaries if x[key] is not None]
        return round(sum(v * w for v, w in parts) / rn, 4) if rn else None

    return {
        "cases": n,
        "recall_cases": rn,
        "recall": weighted("recall"),
        "spans_half_covered": weighted("spans_half_covered"),
        "tokens": tokens,
        "tokens_per_case": round(tokens["total"] / n) if n else 0,
        "cost_usd": round(cost, 4),
        "cost_per_case_usd": round(cost / n, 6) if n else 0.0,
        "truncated": sum(x["truncated"] for x in summaries),
        "modes": modes,
    }


def combine(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The mixed set from separately written reports (``--combine``): pooled strategies, by kind and by suite."""

    def pooled(section: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for r in reports:
            for g, by_s in r[section].items():
                for st, x in by_s.items():
                    groups.setdefault(g, {}).setdefault(st, []).append(x)
        return {g: {st: pool(xs) for st, xs in by_s.items()} for g, by_s in sorted(groups.items())}

    strategies: dict[str, list[dict[str, Any]]] = {}
    for r in reports:
        for st, x in r["strategies"].items():
            strategies.setdefault(st, []).append(x)
    out = {
        "strategies": {st: pool(xs) for st, xs in strategies.items()},
        "by_kind": pooled("by_kind"),
        "by_suite": pooled("by_suite"),
        "by_suite_kind": pooled("by_suite_kind"),
    }
    s = out["strategies"]
    if s.get("full", {}).get("tokens", {}).get("total"):
        out["router_vs_full"] = {
            "recall_ratio": round(s["router"]["recall"] / s["full"]["recall"], 4),
            "token_ratio": round(s["router"]["tokens"]["total"] / s["full"]["tokens"]["total"], 4),
            "cost_ratio": round(s["router"]["cost_usd"] / s["full"]["cost_usd"], 4),
        }
    return out


def _sample_for(spec: str, stem: str) -> int | None:
    if not spec:
        return None
    if "=" not in spec:
        return int(spec)
    sizes = dict(part.split("=") for part in spec.split(","))
    return int(sizes[stem]) if stem in sizes else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="claude-sonnet-4-6")
    parser.add_argument("--limit", type=int, default=None, help="first N cases of each file")
    parser.add_argument("--sample", default="", help="N, or stem=N,stem=N: N cases evenly spaced per file")
    parser.add_argument("--cases-dir", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--only", default="", help="comma-separated case file stems (default: all)")
    parser.add_argument("--json", type=Path, default=None, help="write all reports as JSON here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the table as Markdown here")
    parser.add_argument(
        "--combine", type=Path, nargs="+", default=None, help="pool reports written by earlier runs' --json"
    )
    args = parser.parse_args()
    if args.combine:
        return _print_combined(args.combine, args.markdown)

    from docintel.cli.output import progress_bar
    from docintel.eval.eval_report import report
    from docintel.eval.evaluation import default_corpora_dir, evaluate, load_cases
    from docintel.profiles import get_profile

    profile = get_profile(args.profile)
    files = sorted(args.cases_dir.glob("*.jsonl"))
    if args.only:
        wanted = set(args.only.split(","))
        files = [f for f in files if f.stem in wanted]
    all_results = []
    reports: dict[str, Any] = {}
    lines = [HEADER]
    for file in files:
        cases = load_cases(file, limit=args.limit, sample=_sample_for(args.sample, file.stem))
        started = time.monotonic()
        with progress_bar(f"{file.stem}", unit="cases", delay_s=0.2) as update:
            results = evaluate(
                cases,
                default_corpora_dir(file),
                profile,
                open_progress=lambda name: progress_bar(f"Indexing {name}", unit="files", delay_s=0.2),
                case_progress=update,
            )
        seconds = time.monotonic() - started
        data = report(results, profile=profile, cases_file=str(file))
        data["seconds"] = round(seconds, 1)
        reports[file.stem] = data
        all_results.extend(results)
        lines.extend(markdown_rows(data, file.stem))
        print(f"{file.stem}: {len(cases)} cases in {seconds:.0f} s", file=sys.stderr)
    mixed = report(all_results, profile=profile, cases_file="mixed")
    reports["mixed"] = mixed
    lines.extend(markdown_rows(mixed, "mixed"))
    repeat = map_reduce_repeat_cost(all_results)
    text = "\n".join(lines) + "\n\n" + "\n".join(goals(mixed, mixed["by_kind"], repeat)) + "\n"
    rvf = mixed.get("router_vs_full") or {}
    text += f"\nrouter vs always-full over the mixed set: {rvf}\n"
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2), encoding="utf-8")
    return 0


def _print_combined(paths: list[Path], markdown: Path | None) -> int:
    reports: list[dict[str, Any]] = []
    lines = [HEADER]
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for stem, report_data in data.items():
            if stem == "mixed":
                continue
            reports.append(report_data)
            lines.extend(markdown_rows(report_data, stem))
    mixed = combine(reports)
    lines.extend(markdown_rows(mixed, "mixed"))
    text = "\n".join(lines) + "\n\n" + "\n".join(goals(mixed, mixed["by_kind"])) + "\n"
    text += f"\nrouter vs always-full over the mixed set: {mixed.get('router_vs_full')}\n"
    sys.stdout.write(text)
    if markdown:
        markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
