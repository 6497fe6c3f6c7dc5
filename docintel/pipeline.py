"""The pipeline: question -> Plan -> Prompt -> Backend stream -> citations -> Answer.

One short function per step, each callable alone (an agent may want only the Plan, or only the Prompt).
``docintel.session`` wires them in order, once per question, with the over-window fallback and Self-Route.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from html import escape
from typing import Any, Literal

from docintel.answer import Answer, TextDelta, Usage, UsageEvent
from docintel.assemble import budget
from docintel.assemble.cache_state import cache_status, record_sent
from docintel.assemble.context import (
    INSUFFICIENT_MARKER,
    Searcher,
    build_full_prompt,
    build_map_prompts,
    build_reduce_prompt,
    build_retrieve_prompt,
    merge_prompts,
    prefix_key,
)
from docintel.assemble.definitions import code_with_definitions, widening_growth
from docintel.backends import REGISTRY as BACKENDS
from docintel.backends import Backend, capabilities_of
from docintel.cite.citations import extract_citations
from docintel.corpus import Corpus
from docintel.egress.guard import guard_prompt
from docintel.egress.links import corpus_hosts, neutralize_links
from docintel.errors import BackendError, PromptTooLongError
from docintel.inputs import require_question
from docintel.plan import Mode, Plan
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import CitedSpan, Prompt
from docintel.routers import CorpusStats, Preference, RouteRequest, get_router
from docintel.routers.questions import asks_across_documents
from docintel.routers.scope import resolve_scope
from docintel.tokens import count_tokens

OnText = Callable[[str], None]
PackFormat = Literal["md", "xml", "json"]


# ------------------------------------------------------------------------------------------------------- plan
def _chunk_tokens(corpus: Corpus, index: Any) -> tuple[float | None, float | None]:
    """The mean tokens of an indexed chunk, and of one once sent in a retrieve prompt (code widened to whole
    definitions; None when nothing is widened)."""
    try:
        chunks = int(index.stats()["chunks"])
    except Exception:  # an index without stats (a test double, an older index): estimate from segments
        return None, None
    mean = corpus.tokens / chunks if chunks else None
    extents = getattr(index, "chunk_extents", None)
    growth = 1.0
    if mean and callable(extents) and code_with_definitions(corpus):
        growth = widening_growth(corpus, extents)
    return mean, (mean * growth if mean and growth > 1.0 else None)


def route_request(
    corpus: Corpus,
    index: Any,
    question: str,
    *,
    profile: ModelProfile,
    budget_tokens: int | None = None,
    backend_name: str = "extractive",
    generative: bool | None = None,
    mode: Mode | None = None,
    prefer: Preference = "balanced",
    expect_questions: int = 1,
) -> RouteRequest:
    """What a router needs to plan ``question``: corpus statistics, the documents it names, the cache state.
    Computed once per question; Self-Route and the over-window fallback re-route it with another ``force_mode``.

    ``generative`` defaults to the registered backend's capability (True for a backend docintel does not know)."""
    require_question(question)
    if generative is None:
        generative = capabilities_of(backend_name).generative if backend_name in BACKENDS else True
    chunk_tokens, sent_tokens = _chunk_tokens(corpus, index)
    stats = CorpusStats.of(corpus, chunk_tokens=chunk_tokens, sent_chunk_tokens=sent_tokens)
    named = resolve_scope(question, corpus, index, asks_across=asks_across_documents(question))
    scope = named.paths if named else ()
    cache = cache_status(prefix_key(corpus, scope), backend_name, profile.id, ttl_s=profile.cache_ttl_s)
    map_key = prefix_key(corpus, scope, mode="map_reduce")
    map_cache = cache_status(map_key, backend_name, profile.id, ttl_s=profile.cache_ttl_s)
    return RouteRequest(
        question=question,
        stats=stats,
        profile=profile,
        backend=backend_name,
        budget_tokens=budget_tokens,
        cache=cache,
        scope=scope,
        scope_words=named.words if named else (),
        scope_stats=(
            CorpusStats.of(corpus, paths=scope, chunk_tokens=chunk_tokens, sent_chunk_tokens=sent_tokens)
            if scope
            else None
        ),
        force_mode=mode,
        generative=generative,
        prefer=prefer,
        expect_questions=expect_questions,
        candidates=named.candidates if named else (),
        map_warm=map_cache.warm,
        candidates_reason=named.how if named else "",
        widen=bool(scope) and named is not None and named.guess,
    )


def plan_question(
    corpus: Corpus,
    index: Any,
    question: str,
    *,
    profile: ModelProfile,
    budget_tokens: int | None = None,
    backend_name: str = "extractive",
    router: str = "heuristic",
    mode: Mode | None = None,
    generative: bool | None = None,
    prefer: Preference = "balanced",
    expect_questions: int = 1,
) -> Plan:
    """The Plan for ``question``: mode, reasons, token and cost estimates, fallback. Runs no model.

    ``mode`` forces one mode (Self-Route escalation, a user's explicit choice); the estimates stay honest.
    """
    request = route_request(
        corpus,
        index,
        question,
        profile=profile,
        budget_tokens=budget_tokens,
        backend_name=backend_name,
        generative=generative,
        mode=mode,
        prefer=prefer,
        expect_questions=expect_questions,
    )
    return get_router(router).route(request)


# ----------------------------------------------------------------------------------------------------- prompt
def build_prompt(
    corpus: Corpus, index: Searcher | None, plan: Plan, *, profile: ModelProfile, budget_tokens: int | None = None
) -> Prompt:
    """The Prompt for ``plan``; every span sent is in ``Prompt.citations``. Map-reduce gives all its map prompts
    as one value (what the model reads over all calls); ``ask`` sends them one by one."""
    if plan.mode == "full":
        return build_full_prompt(corpus, index, plan, profile)
    if plan.mode == "retrieve":
        if index is None:
            raise BackendError("a retrieve plan needs the corpus index")
        return build_retrieve_prompt(corpus, index, plan, profile, limit=budget_tokens)
    return merge_prompts(build_map_prompts(corpus, plan, profile))


# -------------------------------------------------------------------------------------------------------- run
def run(prompt: Prompt, plan: Plan, backend: Backend, *, on_text: OnText | None = None) -> Answer:
    """One backend call: stream the answer, then check its citations against the spans that were sent."""
    parts: list[str] = []
    usage: Usage | None = None
    rated: UsageEvent | None = None
    for event in backend.generate(prompt):
        if isinstance(event, TextDelta):
            parts.append(event.text)
            if on_text:
                on_text(event.text)
        elif isinstance(event, UsageEvent):
            usage, rated = event.usage, event
    if usage is None:
        raise BackendError(f"the {backend.name} backend ended without reporting usage; try again")
    # an image or a link to a host the corpus never mentions may carry data out: made inert and flagged
    text, suspicious = neutralize_links("".join(parts), corpus_hosts(b.text for b in prompt.blocks))
    citations, invalid = extract_citations(text, prompt)
    return Answer(
        text=text,
        suspicious_links=suspicious,
        citations=citations,
        plan=plan,
        usage=usage,
        backend=backend.name,
        model=backend.model or backend.profile.id,
        insufficient_context=INSUFFICIENT_MARKER in text or bool(rated and rated.insufficient),
        invalid_citations=invalid,
        calls=(usage,),
        notes=(*backend.notes, *_link_notes(suspicious)),  # e.g. "redacted 2 secrets before sending: ..."
        confidence=rated.confidence if rated else None,
    )


def _link_notes(suspicious: tuple[str, ...]) -> tuple[str, ...]:
    if not suspicious:
        return ()
    more = f" and {len(suspicious) - 3} more" if len(suspicious) > 3 else ""
    shown = ", ".join(u[:80] for u in suspicious[:3]) + more
    return (f"the answer held {len(suspicious)} image(s)/link(s) to hosts not in the corpus, made inert: {shown}",)


def check_exact_fit(prompt: Prompt, backend: Backend, profile: ModelProfile) -> None:
    """Near the window, count with the backend's own tokenizer (messages.count_tokens, /tokenize, llama.cpp) and
    raise PromptTooLongError before sending a prompt the model would refuse."""
    window = profile.context_window
    if not backend.capabilities.exact_token_count or not budget.near_window(
        prompt.estimated_tokens, profile, reserve=prompt.max_output_tokens
    ):
        return
    exact = backend.count_tokens(prompt)
    if exact + prompt.max_output_tokens > window:
        raise PromptTooLongError(
            f"the prompt is {exact:,} tokens by {backend.name}'s count; with {prompt.max_output_tokens:,} for the "
            f"answer it is over the {window:,}-token window",
            tokens=exact,
            window=window,
        )


def answer_plan(
    corpus: Corpus, index: Any, plan: Plan, backend: Backend, profile: ModelProfile, on_text: OnText | None
) -> Answer:
    """Answer one already-made plan (map-reduce included) and record a full prefix as sent (cache state)."""
    if plan.mode == "map_reduce":
        answer = _map_reduce(corpus, plan, backend, profile, on_text)
        # the map prompts' prefixes (instructions and group text) are now cached: the next question reads them
        record_sent(prefix_key(corpus, plan.scope, mode="map_reduce"), backend.name, profile.id)
        return answer
    prompt = build_prompt(corpus, index, plan, profile=profile)
    check_exact_fit(prompt, backend, profile)
    answer = run(prompt, plan, backend, on_text=on_text)
    if plan.mode == "full":
        record_sent(prefix_key(corpus, plan.scope), backend.name, profile.id)
    return answer


def _map_reduce(corpus: Corpus, plan: Plan, backend: Backend, profile: ModelProfile, on_text: OnText | None) -> Answer:
    """Ask every window-sized group (map), then combine what they found (reduce). Without a language model
    (extractive) the reduce is the concatenation of the cited findings (there is nothing to merge them)."""
    prompts = build_map_prompts(corpus, plan, profile)
    calls: list[Usage] = []
    findings: list[tuple[str, Sequence[CitedSpan]]] = []
    for prompt in prompts:
        part = run(prompt, plan, backend)
        calls.append(part.usage)
        if part.citations and not part.insufficient_context:
            by_id = {c.id: c for c in prompt.citations}
            findings.append((part.text, [by_id[c.id] for c in part.citations]))
    merged = merge_prompts(prompts)
    if not findings:
        text = f"None of the {len(prompts)} parts of the corpus answers this question.\n{INSUFFICIENT_MARKER}\n"
        if on_text:
            on_text(text)
        final = run_text(text, merged, plan, backend)
    elif not backend.capabilities.generative:
        body = "\n".join(t.replace("The closest evidence in the documents:", "").strip() + "\n" for t, _ in findings)
        text = f"Findings from {len(findings)} of {len(prompts)} parts of the corpus:\n\n{body}"
        if on_text:
            on_text(text)
        final = run_text(text, merged, plan, backend)
    else:
        reduce_prompt = build_reduce_prompt(plan.question, findings, profile)
        final = run(reduce_prompt, plan, backend, on_text=on_text)
        calls.append(final.usage)
    total = sum(calls, Usage())
    return replace(final, usage=total, calls=tuple(calls))


def run_text(text: str, prompt: Prompt, plan: Plan, backend: Backend) -> Answer:
    """An Answer for text docintel composed itself (no backend call): citations checked the same way."""
    citations, invalid = extract_citations(text, prompt)
    return Answer(
        text=text,
        citations=citations,
        plan=plan,
        usage=Usage(),
        backend=backend.name,
        model=backend.model or backend.profile.id,
        insufficient_context=INSUFFICIENT_MARKER in text,
        invalid_citations=invalid,
    )


# ------------------------------------------------------------------------------------------------------- pack
def pack_profile(budget_tokens: int) -> ModelProfile:
    """A profile for an agent's own model whose window is the caller's budget."""
    base = get_profile("extractive")
    return replace(
        base,
        id="pack",
        backend="pack",
        context_window=budget_tokens,
        effective_window=budget_tokens,
        max_output_tokens=0,
        token_margin=1.0,
    )


def pack(
    corpus: Corpus,
    index: Any,
    question: str,
    *,
    budget_tokens: int,
    fmt: PackFormat = "md",
    profile: ModelProfile | None = None,
    redact: bool | None = None,
) -> str:
    """The context for ``question`` within ``budget_tokens`` (rendered), with citation ids and their locations.
    Secrets are redacted as for a remote model (docintel.egress.guard); ``redact`` overrides DOCINTEL_REDACT."""
    if budget_tokens < 200:
        raise PromptTooLongError(f"a budget of {budget_tokens} tokens is too small to pack anything; use >= 200")
    fit = pack_profile(budget_tokens) if profile is None else profile
    request = route_request(corpus, index, question, profile=fit, budget_tokens=budget_tokens, backend_name="pack")
    route = get_router().route
    plan = route(request)
    if plan.mode == "map_reduce":  # one context cannot be read in several calls: the best chunks that fit
        plan = route(replace(request, force_mode="retrieve"))
    limit = budget_tokens
    while True:
        try:
            prompt = build_prompt(corpus, index, plan, profile=fit, budget_tokens=limit)
        except PromptTooLongError as e:
            raise PromptTooLongError(
                f"even the best passage does not fit a {budget_tokens:,}-token budget; raise --budget",
                tokens=e.tokens,
                window=budget_tokens,
            ) from None
        sent = guard_prompt(prompt, remote=True, redact=redact)[0]  # egress: pack output is handed out
        rendered = render(sent, plan, fmt)
        used = count_tokens(rendered)
        if used <= budget_tokens:
            return rendered
        if plan.mode == "full":
            plan = route(replace(request, force_mode="retrieve"))
            continue
        if limit < 150:
            raise PromptTooLongError(
                f"even one passage needs {used:,} tokens, over the {budget_tokens:,}-token budget; raise --budget",
                tokens=used,
                window=budget_tokens,
            )
        limit = int(limit * budget_tokens / used * 0.95)


def render(prompt: Prompt, plan: Plan, fmt: PackFormat) -> str:
    """The prompt as Markdown, XML or JSON, with a table of citation ids and where each span is."""
    if fmt == "json":
        return json.dumps(
            {
                "question": prompt.question,
                "mode": prompt.mode,
                "plan": {"mode": plan.mode, "reasons": [r.text for r in plan.reasons], "scope": list(plan.scope)},
                "estimated_tokens": prompt.estimated_tokens,
                "blocks": [
                    {"role": b.role, "text": b.text, "cache_breakpoint": b.cache_breakpoint} for b in prompt.blocks
                ],
                "citations": [{"id": c.id, "label": c.span.label(), **c.span.to_dict()} for c in prompt.citations],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt == "xml":
        blocks = "".join(f"<{b.role}>\n{b.text}</{b.role}>\n" for b in prompt.blocks)
        sources = "".join(
            f'<source id="{c.id}" path="{escape(c.span.path)}" start="{c.span.start}" end="{c.span.end}" '
            f'lines="{c.span.start_line}-{c.span.end_line}" label="{escape(c.span.label())}"/>\n'
            for c in prompt.citations
        )
        return f'<context mode="{prompt.mode}">\n{blocks}<sources>\n{sources}</sources>\n</context>\n'
    titles = {
        "instructions": "Instructions",
        "corpus_map": "Corpus map",
        "corpus": "Corpus",
        "passages": "Passages",
        "question": "Question",
    }
    parts = [f"# Context ({prompt.mode}): {prompt.question.strip()}\n"]
    parts.append("Why this context: " + "; ".join(r.text for r in plan.reasons) + "\n")
    for b in prompt.blocks:
        if b.text:
            parts.append(f"## {titles.get(b.role, b.role)}\n\n{b.text}")
    parts.append("## Sources\n\n" + "".join(f"- [{c.id}] {c.span.label()}\n" for c in prompt.citations))
    return "\n".join(parts)
