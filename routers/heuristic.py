"""The default router: question type, size rules, cost rules, warm cache, Self-Route fallback.

``HeuristicRouter.route`` is the decision list below, in order; the first rule that applies chooses the mode. Each
step leaves a Reason with a code, a sentence and the numbers behind it (the sentences are built by the ``_say_*``
helpers at the end of this module). Token overheads, windows, margins and ``fits()`` are docintel.assemble.budget's.
Profiles without prices (self-hosted, extractive) compare prefill tokens instead of dollars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from docintel.assemble import budget
from docintel.assemble.budget import (
    CORPUS_MAP_TOKENS,
    DOC_HEADER_TOKENS,
    EXPECTED_OUTPUT_TOKENS,
    INSTRUCTIONS_TOKENS,
    LABEL_TOKENS_PER_SEGMENT,
    PASSAGE_TOKENS,
    PASSAGES_K,
    QUESTION_TOKENS,
    group_token_limit,
)
from docintel.plan import Mode, Plan, QuestionType, Reason, TokenEstimate
from docintel.profiles import ModelProfile
from docintel.routers import CorpusStats, RouteRequest
from docintel.routers.questions import QuestionAnalysis, classify_question

__all__ = [
    "CORPUS_MAP_TOKENS",
    "DOC_HEADER_TOKENS",
    "INSTRUCTIONS_TOKENS",
    "LABEL_TOKENS_PER_SEGMENT",
    "PASSAGE_TOKENS",
    "QUESTION_TOKENS",
    "HeuristicRouter",
    "full_prompt_tokens",
    "group_token_limit",
    "map_reduce_groups",
    "retrieve_k",
    "retrieve_k_within",
    "retrieve_prompt_tokens",
]

TINY_CORPUS_TOKENS = 8_000
NAMED_DOCUMENT_WHOLE_TOKENS = 64_000
# Full reads everything, retrieval may miss: full wins a cost comparison it loses by less than this factor.
FULL_PREMIUM = 1.5
# The caller's preference moves that premium: "cost" takes full only when it is no dearer, "quality" up to 3x.
FULL_PREMIUMS: dict[str, float] = {"cost": 1.0, "balanced": FULL_PREMIUM, "quality": 3.0}
RETRIEVE_K: dict[QuestionType, int] = {"lookup": 12, "multi_hop": 24, "summary": 40, "aggregate": 64}
# A larger corpus has more places the evidence may sit: retrieve at least this share of it (by tokens), up to
# RETRIEVE_MAX_TOKENS. Measured on the code lookups of shared/eval: recall 0.62 at 12 chunks, 0.85 at 48.
RETRIEVE_SHARE: dict[QuestionType, float] = {"lookup": 0.05, "multi_hop": 0.08, "summary": 0.1, "aggregate": 0.15}
RETRIEVE_MAX_TOKENS = 32_000


@dataclass(frozen=True)
class Estimate:
    mode: Mode
    tokens: TokenEstimate
    cost_usd: float
    prefill: float  # tokens the model must process (cache reads count 0.1): the metric for unpriced profiles
    groups: int = 1
    k: int = 0


def _priced(profile: ModelProfile) -> bool:
    return profile.input_per_mtok > 0


def _priced_estimate(
    mode: Mode,
    profile: ModelProfile,
    *,
    prefix: int,
    suffix: int,
    warm: bool,
    groups: int = 1,
    calls: int = 1,
    k: int = 0,
) -> Estimate:
    cacheable = prefix >= max(1, profile.min_cacheable_tokens)
    if not cacheable:
        tokens = TokenEstimate(uncached=prefix + suffix, output=EXPECTED_OUTPUT_TOKENS * calls)
    elif warm:
        tokens = TokenEstimate(cache_read=prefix, uncached=suffix, output=EXPECTED_OUTPUT_TOKENS * calls)
    else:
        tokens = TokenEstimate(cache_write=prefix, uncached=suffix, output=EXPECTED_OUTPUT_TOKENS * calls)
    cost = profile.cost(
        uncached=tokens.uncached, cache_write=tokens.cache_write, cache_read=tokens.cache_read, output=tokens.output
    )
    prefill = tokens.uncached + tokens.cache_write + 0.1 * tokens.cache_read
    return Estimate(mode, tokens, round(cost, 6), prefill, groups, k)


def full_prompt_tokens(stats: CorpusStats, *, with_map: bool = True) -> tuple[int, int]:
    """(prefix, suffix) tokens of a full-context prompt over ``stats``."""
    return budget.full_prompt_tokens(
        stats.tokens, stats.segments, stats.documents, stats.chunk_tokens, with_map=with_map
    )


def retrieve_prompt_tokens(stats: CorpusStats, k: int) -> int:
    """A retrieve prompt's tokens with ``k`` chunks, each as big as it is once sent (code grows to definitions)."""
    return budget.retrieve_prompt_tokens(stats.tokens, stats.sent_chunk_tokens or stats.chunk_tokens, k)


def retrieve_k(stats: CorpusStats, qtype: QuestionType) -> int:
    """Chunks to retrieve: the question type's minimum, or its share of the corpus when that is more."""
    chunk = max(1.0, stats.chunk_tokens)
    share = min(RETRIEVE_SHARE[qtype] * stats.tokens, RETRIEVE_MAX_TOKENS)
    return max(RETRIEVE_K[qtype], math.ceil(share / chunk))


def retrieve_k_within(stats: CorpusStats, k: int, limit: int | None, profile: ModelProfile) -> int:
    """The largest k <= ``k`` whose retrieve prompt fits ``limit`` prompt tokens (margin included)."""
    if limit is None:
        return k
    while k > 1 and not budget.fits(retrieve_prompt_tokens(stats, k), profile, limit=limit, reserve=False):
        k -= 1
    return k


def map_reduce_groups(stats: CorpusStats, group_limit: int) -> int:
    """Number of groups when whole documents are packed in order into groups of at most ``group_limit`` tokens."""
    groups, current = 0, 0
    for t in stats.doc_tokens or (stats.tokens,):
        if current and current + t > group_limit:
            groups += 1
            current = 0
        current += t
    return groups + (1 if current else 0) or 1


def map_reduce_estimate(stats: CorpusStats, profile: ModelProfile, limit: int, *, warm: bool = False) -> Estimate:
    """Every group read once (map), then one call that combines the findings (reduce). Each map prompt puts its
    group's text before the question, so ``warm`` (a map-reduce pass over this text was sent within the TTL)
    prices every group at the cache-read rate."""
    groups = map_reduce_groups(stats, group_token_limit(profile, limit))
    prefix = budget.corpus_text_tokens(stats.tokens, stats.segments, stats.documents) + groups * INSTRUCTIONS_TOKENS
    suffix = groups * QUESTION_TOKENS + INSTRUCTIONS_TOKENS + groups * EXPECTED_OUTPUT_TOKENS  # + reduce call
    return _priced_estimate(
        "map_reduce", profile, prefix=prefix, suffix=suffix, warm=warm, groups=groups, calls=groups + 1
    )


@dataclass(frozen=True)
class Sizes:
    """What the size rules look at, computed once per request."""

    stats: CorpusStats  # of the text the plan would read (the named documents, else the corpus)
    scoped: bool
    window: int
    limit: int  # the window, or the caller's budget when that is smaller
    full_tokens: int
    fits_window: bool  # the whole text fits the window / budget
    fits_effective: bool  # ... and the effective window
    full: Estimate
    retrieve: Estimate
    widen_k: int = 0  # chunks retrieved from the whole corpus on top of a guessed scope

    @property
    def limit_name(self) -> str:
        return "budget" if self.limit != self.window else "window"


def _sizes(request: RouteRequest, qtype: QuestionType) -> Sizes:
    profile = request.profile
    scoped = bool(request.scope) and request.scope_stats is not None
    stats = request.scope_stats if scoped and request.scope_stats else request.stats
    window = budget.window(profile)
    limit = budget.ceiling(profile, request.budget_tokens)
    prefix, suffix = full_prompt_tokens(stats)
    widen_k, extra = 0, 0
    if scoped and request.widen:  # a guessed scope: what always-retrieve would send comes along (after the prefix)
        widen_k = retrieve_k_within(request.stats, retrieve_k(request.stats, qtype), limit, profile)
        extra = retrieve_prompt_tokens(request.stats, widen_k) - INSTRUCTIONS_TOKENS - QUESTION_TOKENS
    full_tokens = prefix + suffix + extra
    fits_window = budget.fits(full_tokens, profile, limit=limit)
    fits_effective = fits_window and budget.fits(full_tokens, profile, limit=profile.effective_window or window)
    full = _priced_estimate(
        "full", profile, prefix=prefix, suffix=suffix + extra, warm=request.cache.warm, k=PASSAGES_K
    )
    k = retrieve_k_within(stats, retrieve_k(stats, qtype), limit, profile)
    retrieve = _priced_estimate(
        "retrieve", profile, prefix=0, suffix=retrieve_prompt_tokens(stats, k) + extra, warm=False, k=k
    )
    return Sizes(stats, scoped, window, limit, full_tokens, fits_window, fits_effective, full, retrieve, widen_k)


class HeuristicRouter:
    name = "heuristic"

    def route(self, request: RouteRequest) -> Plan:
        """The plan of :meth:`decide`; when the named documents are a guess (``request.widen``) and the plan reads
        them (full or retrieve), it also sends the chunks retrieval finds in the whole corpus (``Plan.widen_k``)."""
        plan = self.decide(request)
        if not request.widen or not plan.scope or plan.mode == "map_reduce":
            return plan
        sizes = _sizes(request, plan.question_type)
        if not sizes.widen_k:
            return plan
        reasons = list(plan.reasons)
        at = next((i + 1 for i, r in enumerate(reasons) if r.code in ("named_group", "named_document")), len(reasons))
        reasons.insert(at, _say_widened(request, sizes.widen_k))
        return replace(plan, widen_k=sizes.widen_k, reasons=tuple(reasons))

    def decide(self, request: RouteRequest) -> Plan:
        """Decide, in this order (the first rule that applies wins):

        1. analyse the question (lookup / aggregate / summary / multi_hop) and note the documents it names;
        2. a forced mode (Self-Route escalation, the user's ``--mode``) is taken as asked, estimates kept;
        3. measure: does the whole text fit the window (or the caller's budget), and the effective window?
        4. a tiny corpus that fits is read whole;
        5. a named document small enough is read whole (cheap, and more complete than retrieving inside it);
        6. aggregate and summary questions need every part: full if the text fits the effective window, else
           map-reduce over effective-window-sized groups;
        7. a backend with no language model (it quotes the top evidence) retrieves, full as the fallback;
        8. a text over the effective window is retrieved, full as the fallback when it fits the window;
        9. otherwise compare the cost of full and retrieve (a warm prefix makes full cost the cache-read price):
           full when it costs at most FULL_PREMIUM x retrieve, else retrieve with full as the fallback (Self-Route).
        """
        analysis = classify_question(request.question)  # 1
        qtype = analysis.type
        sizes = _sizes(request, qtype)
        reasons = [_say_question(analysis)]
        if sizes.scoped:
            reasons.append(_say_named(request, sizes))
        if request.candidates and not sizes.scoped:
            reasons.append(_say_ambiguous(request))
        full, retrieve = sizes.full, sizes.retrieve
        fallback: Mode | None = "full" if sizes.fits_window else None

        if request.force_mode:  # 2
            chosen = {"full": full, "retrieve": retrieve}.get(request.force_mode) or map_reduce_estimate(
                sizes.stats, request.profile, sizes.limit
            )
            reasons.append(Reason("forced", f"{request.force_mode} was asked for", {"mode": request.force_mode}))
            return _plan(request, qtype, chosen, reasons, None, [full, retrieve], sizes.scoped)

        reasons.append(_say_size(request, sizes))  # 3
        if sizes.fits_window and sizes.stats.tokens < TINY_CORPUS_TOKENS:  # 4
            reasons.append(_say_tiny(sizes))
            return _plan(request, qtype, full, reasons, None, [full, retrieve])
        if sizes.scoped and sizes.fits_effective and sizes.stats.tokens <= NAMED_DOCUMENT_WHOLE_TOKENS:  # 5
            reasons.append(_say_named_whole(sizes))
            return _plan(request, qtype, full, reasons, None, [full, retrieve])
        if qtype in ("aggregate", "summary"):  # 6
            if sizes.fits_effective:
                reasons.append(_say_needs_everything(qtype))
                return _plan(request, qtype, full, reasons, None, [full, retrieve])
            mr = map_reduce_estimate(sizes.stats, request.profile, sizes.limit, warm=request.map_warm)
            reasons.append(_say_map_reduce(qtype, mr, group_token_limit(request.profile, sizes.limit)))
            return _plan(request, qtype, mr, reasons, None, [mr, retrieve])
        if not request.generative:  # 7
            reasons.append(_say_quotes_evidence(retrieve.k))
            return _plan(request, qtype, retrieve, reasons, fallback, [full, retrieve])
        if not sizes.fits_effective:  # 8
            return _plan(request, qtype, retrieve, reasons, fallback, [retrieve])
        if request.cache.warm:  # 9
            reasons.append(_say_warm(request))
        premium = FULL_PREMIUMS[request.prefer]
        full_wins, cheaper = _compare(request.profile, _amortised(request, full), retrieve, premium)
        reasons.append(cheaper)
        if full_wins:
            return _plan(request, qtype, full, reasons, None, [full, retrieve])
        return _plan(request, qtype, retrieve, reasons, fallback, [full, retrieve])


def _amortised(request: RouteRequest, full: Estimate) -> Estimate:
    """Full's cost per question when the caller expects ``expect_questions`` questions about this corpus: one cache
    write shared with the cache reads of the later questions."""
    n = max(1, request.expect_questions)
    if n == 1 or not full.tokens.cache_write:
        return full
    t = full.tokens
    warm_cost = request.profile.cost(uncached=t.uncached, cache_read=t.cache_write, output=t.output)
    warm_prefill = t.uncached + 0.1 * t.cache_write
    return replace(
        full,
        cost_usd=round((full.cost_usd + (n - 1) * warm_cost) / n, 6),
        prefill=(full.prefill + (n - 1) * warm_prefill) / n,
    )


def _compare(
    profile: ModelProfile, full: Estimate, retrieve: Estimate, premium: float = FULL_PREMIUM
) -> tuple[bool, Reason]:
    """Whether full wins the cost comparison (dollars when priced, else prefill tokens), and the reason.
    ``premium``: how much more than retrieve full may cost and still win (the caller's preference)."""
    priced = _priced(profile)
    full_m = full.cost_usd if priced else full.prefill
    retrieve_m = retrieve.cost_usd if priced else retrieve.prefill
    data = {
        "metric": "cost_usd" if priced else "prefill_tokens",
        "full": full_m,
        "retrieve": retrieve_m,
        "full_premium": premium,
    }

    def unit(v: float) -> str:
        return f"${v:.4f}" if priced else f"{v:,.0f} prefill tokens"

    if full_m <= retrieve_m * premium:
        text = f"full ({unit(full_m)}) costs at most {premium}x retrieve ({unit(retrieve_m)}) and misses nothing"
        return True, Reason("cheaper", text, data)
    text = (
        f"retrieve ({unit(retrieve_m)}, k={retrieve.k}) is cheaper than full ({unit(full_m)}); "
        "if the answer says the context is insufficient, docintel re-asks with the full text"
    )
    return False, Reason("cheaper", text, data)


def _plan(
    request: RouteRequest,
    qtype: QuestionType,
    chosen: Estimate,
    reasons: list[Reason],
    fallback: Mode | None,
    feasible: list[Estimate],
    scoped: bool = True,
) -> Plan:
    if fallback == chosen.mode:
        fallback = None
    if fallback:
        reasons.append(_say_self_route(fallback))
    return Plan(
        mode=chosen.mode,
        question=request.question,
        question_type=qtype,
        profile=request.profile.id,
        reasons=tuple(reasons),
        tokens=chosen.tokens,
        cost_usd=chosen.cost_usd,
        fallback=fallback,
        k=chosen.k,
        groups=chosen.groups,
        alternatives={e.mode: e.cost_usd for e in feasible},
        scope=request.scope if scoped else (),
        candidates=request.candidates,
    )


# ------------------------------------------------------------------------------- reasons: wording and numbers
def _say_ambiguous(request: RouteRequest) -> Reason:
    shown = ", ".join(request.candidates[:5]) + (" …" if len(request.candidates) > 5 else "")
    text = (
        f"the question names no document and {len(request.candidates)} fit it about equally ({shown}); "
        "name one to read it whole"
    )
    data = {"candidates": list(request.candidates), "why": request.candidates_reason}
    return Reason("ambiguous_document", text, data)


def _say_widened(request: RouteRequest, k: int) -> Reason:
    why = {
        "title-group": "a title several documents write",
        "title": "a shortened title",
        "named-group": "a name several documents share",
        "ranked": "the content ranking, not a name",
        "identity+ranked": "the content ranking among documents named alike",
    }.get(request.candidates_reason, "words that name no document exactly")
    text = (
        f"the documents were chosen by {why}, so they may not be the ones meant: the {k} passages retrieval finds "
        "in the whole corpus are sent too (the prompt holds at least what retrieval alone would)"
    )
    return Reason("widened", text, {"k": k, "how": request.candidates_reason, "paths": list(request.scope)})


def _say_question(analysis: QuestionAnalysis) -> Reason:
    data: dict[str, Any] = {"type": analysis.type, "features": list(analysis.features)}
    return Reason("question_type", f"{analysis.type} question: {analysis.explanation}", data)


def _say_named(request: RouteRequest, sizes: Sizes) -> Reason:
    tokens = sizes.stats.tokens
    data = {"paths": list(request.scope), "words": list(request.scope_words), "tokens": tokens}
    if request.candidates:  # a name several documents share ("the FRANCHISE AGREEMENT")
        shown = ", ".join(request.scope[:5]) + (" …" if len(request.scope) > 5 else "")
        text = (
            f"the question's name fits {len(request.scope)} documents about equally ({shown}; {tokens:,} tokens): "
            "only they are read; name the parties to single one out"
        )
        return Reason("named_group", text, {**data, "candidates": list(request.candidates)})
    return Reason(
        "named_document",
        f"the question names {', '.join(request.scope)} ({tokens:,} tokens); "
        + ("only it is read" if len(request.scope) == 1 else "only they are read (its words fit each about equally)"),
        data,
    )


def _say_size(request: RouteRequest, sizes: Sizes) -> Reason:
    profile = request.profile
    data = {
        "prompt_tokens": sizes.full_tokens,
        "margin": profile.token_margin,
        "output_reserve": profile.max_output_tokens,
        "window": sizes.window,
        "effective_window": profile.effective_window,
        "budget_tokens": request.budget_tokens,
    }
    if not sizes.fits_window:
        return Reason(
            "over_window",
            f"the whole text ({sizes.full_tokens:,} tokens with margin and answer reserve) does not fit the "
            f"{sizes.limit:,}-token {sizes.limit_name}",
            data,
        )
    text = (
        f"the whole text ({sizes.full_tokens:,} tokens x {profile.token_margin} margin + "
        f"{profile.max_output_tokens:,} for the answer) fits the {sizes.limit:,}-token {sizes.limit_name}"
    )
    if not sizes.fits_effective:
        text += f" but not the {profile.effective_window:,}-token effective window"
    return Reason("fits_window", text, data)


def _say_tiny(sizes: Sizes) -> Reason:
    tokens = sizes.stats.tokens
    return Reason("tiny_corpus", f"under {TINY_CORPUS_TOKENS:,} tokens: read it all", {"tokens": tokens})


def _say_named_whole(sizes: Sizes) -> Reason:
    tokens = sizes.stats.tokens
    return Reason(
        "named_document_whole",
        f"the named document is small enough ({tokens:,} <= {NAMED_DOCUMENT_WHOLE_TOKENS:,} "
        "tokens) to read whole, which misses nothing that retrieving inside it could",
        {"tokens": tokens, "threshold": NAMED_DOCUMENT_WHOLE_TOKENS},
    )


def _a(word: str) -> str:
    """``word`` with its article: "an aggregate", "a summary"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _say_needs_everything(qtype: QuestionType) -> Reason:
    return Reason(
        "needs_everything",
        f"{_a(qtype)} question needs every relevant part, and the whole text fits the effective window: read it all",
        {"type": qtype},
    )


def _say_map_reduce(qtype: QuestionType, mr: Estimate, group_tokens: int) -> Reason:
    return Reason(
        "map_reduce",
        f"{_a(qtype)} question needs every relevant part, but the text is larger than the effective "
        f"window: read it in {mr.groups} window-sized groups, then combine the findings",
        {"groups": mr.groups, "group_tokens": group_tokens},
    )


def _say_quotes_evidence(k: int) -> Reason:
    return Reason(
        "extractive_lookup",
        f"the extractive backend quotes the top evidence, so {k} retrieved chunks carry what a full "
        "pass would show it; full remains the fallback",
        {"k": k},
    )


def _say_warm(request: RouteRequest) -> Reason:
    cache = request.cache
    return Reason(
        "warm_cache",
        f"this prefix was sent {cache.age_s:.0f} s ago (TTL {cache.ttl_s} s): a full pass reads it from the cache",
        {"age_s": cache.age_s, "ttl_s": cache.ttl_s},
    )


def _say_self_route(fallback: Mode) -> Reason:
    return Reason(
        "self_route", f"if the answer says the context is insufficient, re-run as {fallback}", {"fallback": fallback}
    )
