"""Render an AuditReport as Markdown (for people) or JSON (for programs); SARIF lives in ``sarif.py``."""

from __future__ import annotations

import json
from typing import Literal

from docintel.audit.results import AuditReport, ItemResult

ReportFormat = Literal["md", "json", "sarif"]
MAX_QUOTE_LINES = 6

EVIDENCE_ONLY_NOTE = (
    "**Evidence only, not a verdict.** No language model judged this corpus (backend `extractive`). Each item "
    "lists the spans retrieval selected for its question and the places the code's syntax (or, in files no syntax "
    "rule reads, the item's line patterns) points at (*candidate findings*). A reviewer, or a run with a model "
    "backend, decides which are real."
)


def render(report: AuditReport, fmt: ReportFormat) -> str:
    """The report as text; it quotes the corpus, so it leaves through the egress seam (secrets redacted as for a
    remote reader: reports get uploaded, pasted, attached)."""
    from docintel.egress.guard import guard_json, guard_text

    if fmt == "md":
        return guard_text(render_markdown(report))
    if fmt == "json":  # strings guarded one by one: redacting serialized JSON could cut an escape
        return json.dumps(guard_json(report.to_dict()), indent=2, ensure_ascii=False) + "\n"
    from docintel.audit.sarif import to_sarif

    return json.dumps(guard_json(to_sarif(report)), indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: AuditReport) -> str:
    usage = report.usage
    cached = usage.cache_read_tokens / usage.input_tokens if usage.input_tokens else 0.0
    lines = [
        f"# Audit: {report.checklist.title}",
        "",
        "| | |",
        "| --- | --- |",
        f"| corpus | `{report.corpus_root}` ({report.documents} documents, {report.corpus_tokens:,} tokens) |",
        f"| corpus hash | `{report.corpus_hash}` |",
        f"| checklist | `{report.checklist.name}` v{report.checklist.version} ({report.checklist.source}) |",
        f"| docintel | {report.docintel_version} |",
        f"| backend / model | {report.backend} / {report.model} |",
        f"| planned for profile | {report.profile} |",
        f"| started | {report.started_at} ({report.seconds:.1f} s) |",
        f"| tokens sent | {usage.input_tokens:,} in, {usage.output_tokens:,} out, cached share {cached:.0%}, "
        f"${usage.cost_usd:.4f} |",
        "",
    ]
    if report.verdict == "evidence_only":
        lines += [EVIDENCE_ONLY_NOTE, ""]
    finding_word = "candidate findings" if report.verdict == "evidence_only" else "findings"
    lines += [
        f"**{report.findings} {finding_word}** in {sum(1 for r in report.items if r.findings)} of "
        f"{len(report.items)} items; worst severity: {report.worst_finding() or 'none'}.",
        "",
        "| item | severity | route | planned tokens | planned cached | planned cost | sent tokens | cached | "
        f"{finding_word} | evidence |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report.items:
        planned = r.plan.tokens
        planned_cached = planned.cache_read / planned.total if planned.total else 0.0
        lines.append(
            f"| {r.item.id} | {r.item.severity} | {r.plan.mode} | {planned.total:,} | {planned_cached:.0%} | "
            f"${r.plan.cost_usd:.4f} | {r.usage.input_tokens:,} | {r.cached_share:.0%} | {len(r.findings)} | "
            f"{len(r.evidence)} |"
        )
    lines += [
        "",
        "Planned tokens, cached share and cost are what a model-backed run with the profile above would send "
        "(the router counts a corpus prefix sent within the cache TTL as read from the cache). Sent tokens are "
        "what this run's backend read.",
        "",
    ]
    for r in report.items:
        lines += _item_section(r, evidence_only=report.verdict == "evidence_only")
    return "\n".join(lines).rstrip() + "\n"


def _item_section(r: ItemResult, *, evidence_only: bool) -> list[str]:
    item = r.item
    cwe = f" ({item.cwe})" if item.cwe else ""
    out = [
        f"## {item.title} — {item.severity}{cwe}",
        "",
        f"*{item.question}*",
        "",
        f"Route: **{r.plan.mode}** ({r.plan.question_type}); " + "; ".join(x.text for x in r.plan.reasons),
        "",
    ]
    if not evidence_only and r.answer:
        out += [r.answer.strip(), ""]
    if r.insufficient_context and not evidence_only:
        out += ["> The answer says the context was insufficient.", ""]
    findings = r.findings
    others = [e for e in r.evidence if not e.finding]
    if findings:
        out.append("Candidate findings (from syntax or line patterns, not judged):" if evidence_only else "Findings:")
        out.append("")
        for e in findings:
            out.append(f"- `{e.span.label()}` — `{_one_line(e.quote)}`")
        out.append("")
    elif evidence_only:
        out += ["No candidate: no syntax rule or line pattern of this item matches.", ""]
    if others:
        out += ["Retrieved evidence:" if evidence_only else "Other cited evidence:", ""]
        for e in others:
            marker = " (matches a pattern)" if e.patterns else ""
            out.append(f"- `{e.span.label()}`{marker}")
            out += ["", "  ```", *[f"  {ln}" for ln in _excerpt(e.quote)], "  ```", ""]
    if r.notes:
        out += [f"Notes: {'; '.join(r.notes)}", ""]
    return out


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _excerpt(text: str) -> list[str]:
    lines = text.strip("\n").splitlines()
    if len(lines) > MAX_QUOTE_LINES:
        lines = [*lines[:MAX_QUOTE_LINES], f"… ({len(lines) - MAX_QUOTE_LINES} more lines)"]
    return [ln.replace("```", "'''") for ln in lines]
