"""Syntax candidates as audit evidence, and the model's judgement of them.

Without a model the candidates are listed as candidate findings (the report says no one judged them). With one,
the model reads each candidate with the lines around it (``prompts/judge.md``) and the ones it cites are the
findings; the rest stay in the report as candidates it judged harmless.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from docintel.audit.checklists import ChecklistItem
from docintel.audit.code_findings import RULES, analyzed, corpus_findings, line_span
from docintel.audit.results import Evidence
from docintel.audit.shell_findings import is_config
from docintel.corpus import Corpus, SourceSpan

if TYPE_CHECKING:
    from docintel.answer import Usage
    from docintel.backends import Backend
    from docintel.plan import Plan

MAX_CANDIDATES = 200  # per item
JUDGE_CONTEXT_LINES = 3  # lines shown on each side of a candidate to the judging model
JUDGE_BATCH = 40  # candidates per judging call


def has_syntax_rules(item: ChecklistItem) -> bool:
    return item.id in RULES


def candidate_evidence(corpus: Corpus, item: ChecklistItem, kinds: tuple[str, ...]) -> tuple[Evidence, ...]:
    """The item's syntax candidates in corpus order; documents no syntax rule reads fall back to the item's line
    patterns (``runner.pattern_evidence``)."""
    from docintel.audit.runner import pattern_evidence

    by_path = {d.path: d for d in corpus.documents}
    out: list[Evidence] = []
    for c in corpus_findings(corpus):
        doc = by_path[c.path]
        if c.rule != item.id or not (doc.kind in kinds or is_config(doc.path)):
            continue
        span, text = line_span(doc, c.line)
        out.append(Evidence(span=span, quote=text.strip(), source="syntax", finding=True, patterns=(c.why,)))
        if len(out) >= MAX_CANDIDATES:
            return tuple(out)
    rest = [d for d in corpus.documents if d.kind in kinds and not analyzed(d)]
    if rest and item.patterns:
        out.extend(pattern_evidence(replace(corpus, documents=tuple(rest)), item, kinds))
    return tuple(out)


def _context(corpus: Corpus, span: SourceSpan) -> tuple[SourceSpan, str]:
    doc = corpus.document(span.path)
    lines = doc.text.split("\n")
    first = max(1, span.start_line - JUDGE_CONTEXT_LINES)
    last = min(len(lines), span.start_line + JUDGE_CONTEXT_LINES)
    start = sum(len(ln) + 1 for ln in lines[: first - 1])
    text = "\n".join(lines[first - 1 : last])
    return SourceSpan(path=span.path, start=start, end=start + len(text), start_line=first, end_line=last), text


def judge_candidates(
    backend: Backend, corpus: Corpus, item: ChecklistItem, candidates: tuple[Evidence, ...], plan: Plan
) -> tuple[tuple[Evidence, ...], list[Usage]]:
    """(candidates with ``finding`` set by the model's judgement, each call's usage). One call per JUDGE_BATCH."""
    from docintel.assemble.context import instructions
    from docintel.cite.citations import extract_citations
    from docintel.pipeline import run
    from docintel.prompt import CitedSpan, Prompt, PromptBlock
    from docintel.tokens import count_tokens

    judged: list[Evidence] = []
    usages: list[Usage] = []
    for at in range(0, len(candidates), JUDGE_BATCH):
        batch = candidates[at : at + JUDGE_BATCH]
        cited = []
        for n, e in enumerate(batch, start=1):
            span, text = _context(corpus, e.span)
            cited.append(CitedSpan(str(n), span, text))
        body = "".join(
            f"[{c.id}] {c.span.path}:{c.span.start_line}-{c.span.end_line} ({e.patterns[0] if e.patterns else ''})"
            f"\n{c.text}\n"
            for c, e in zip(cited, batch, strict=True)
        )
        question = f"Which of these are real cases of: {item.title}? {item.question}"
        head = instructions("judge")
        blocks = (
            PromptBlock("instructions", head),
            PromptBlock("passages", f"<candidates>\n{body}</candidates>\n"),
            PromptBlock("question", f"<question>\n{question}\n</question>\n"),
        )
        prompt = Prompt(blocks, tuple(cited), question, "retrieve", 1024, count_tokens(head + body + question))
        answer = run(prompt, plan, backend)
        citations, _ = extract_citations(answer.text, prompt)
        real = {c.id for c in citations}
        usages.append(answer.usage)
        judged.extend(replace(e, finding=str(n) in real) for n, e in enumerate(batch, start=1))
    return tuple(judged), usages
