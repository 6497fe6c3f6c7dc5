"""The default router: question type, size rules, cost rules, warm cache, Self-Route fallback.

Decision order (each step leaves a Reason with a code, a sentence and the numbers behind it):
1. question analysis (lookup / aggregate / summary / multi_hop) and the documents the question names;
2. a tiny corpus is read whole;
3. a named document small enough is read whole (cheap, and more complete than retrieving inside it);
4. aggregate and summary questions need every part: full when the text fits the effective window, else
   map-reduce over effective-window-sized groups;
5. lookups and multi-hop questions: compare the estimated cost of the feasible modes (a warm prefix makes
   full cost the cache-read price); retrieve carries ``fallback="full"`` whenever full fits (Self-Route).
Profiles without prices (self-hosted, extractive) compare prefill tokens instead of dollars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from docintel.plan import Mode, Plan, QuestionType, Reason, TokenEstimate
from docintel.profiles import ModelProfile
from docintel.routers import CorpusStats, RouteRequest
from docintel.routers.questions import classify_question

# Prompt overheads beyond the corpus text (docintel.context builds the real thing and checks the real size).
INSTRUCTIONS_TOKENS = 450
LABEL_TOKENS_PER_SEGMENT = 4  # "[123] " and a newline
DOC_HEADER_TOKENS = 16  # <doc path="..."> ... </doc>
CORPUS_MAP_TOKENS = 2000
PASSAGE_TOKENS = 4000  # salient passages quoted again after the cache breakpoint
QUESTION_TOKENS = 80
EXPECTED_OUTPUT_TOKENS = 500  # for cost estimates; the fit check reserves profile.max_output_tokens

TINY_CORPUS_TOKENS = 8_000
NAMED_DOCUMENT_WHOLE_TOKENS = 64_000
# Full reads everything, retrieval may miss: full wins a cost comparison it loses by less than this factor.
FULL_PREMIUM = 1.5
RETRIEVE_K: dict[QuestionType, int] = {"lookup": 12, "multi_hop": 24, "summary": 40, "aggregate": 64}
# A larger corpus has more places the evidence may sit: retrieve at least this share of it (by tokens), up to
# RETRIEVE_MAX_TOKENS. Measured on the code lookups of shared/eval: recall 0.62 at 12 chunks, 0.85 at 48.
RETRIEVE_SHARE: dict[QuestionType, float] = {"lookup": 0.05, "multi_hop": 0.08, "summary": 0.1, "aggregate": 0.15}
RETRIEVE_MAX_TOKENS = 32_000
PASSAGES_K = 8


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


def _window(profile: ModelProfile) -> int:
    return profile.context_window or profile.effective_window


def _fits(tokens: int, limit: int, profile: ModelProfile) -> bool:
    return math.ceil(tokens * profile.token_margin) + profile.max_output_tokens <= limit


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
    corpus = stats.tokens + stats.segments * LABEL_TOKENS_PER_SEGMENT + stats.documents * DOC_HEADER_TOKENS
    corpus_map = min(CORPUS_MAP_TOKENS, max(200, stats.tokens // 20)) if with_map else 0
    passages = min(PASSAGE_TOKENS, int(PASSAGES_K * stats.chunk_tokens), stats.tokens)
    return INSTRUCTIONS_TOKENS + corpus_map + corpus, passages + QUESTION_TOKENS


def retrieve_prompt_tokens(stats: CorpusStats, k: int) -> int:
    retrieved = min(stats.tokens, int(k * stats.chunk_tokens))
    return INSTRUCTIONS_TOKENS + retrieved + k * (LABEL_TOKENS_PER_SEGMENT + 8) + QUESTION_TOKENS


def retrieve_k(stats: CorpusStats, qtype: QuestionType) -> int:
    """Chunks to retrieve: the question type's minimum, or its share of the corpus when that is more."""
    chunk = max(1.0, stats.chunk_tokens)
    share = min(RETRIEVE_SHARE[qtype] * stats.tokens, RETRIEVE_MAX_TOKENS)
    return max(RETRIEVE_K[qtype], math.ceil(share / chunk))


def retrieve_k_within(stats: CorpusStats, k: int, limit: int | None, profile: ModelProfile) -> int:
    """The largest k <= ``k`` whose retrieve prompt fits ``limit`` prompt tokens (margin included)."""
    if limit is None:
        return k
    while k > 1 and math.ceil(retrieve_prompt_tokens(stats, k) * profile.token_margin) > limit:
        k -= 1
    return k


def group_token_limit(profile: ModelProfile, limit: int | None = None) -> int:
    """Corpus tokens one map-reduce group may hold: the effective window (or ``limit``) less the answer reserve,
    the margin, and the map prompt's instructions and question."""
    window = _window(profile) if limit is None else min(limit, _window(profile))
    usable = min(profile.effective_window or window, window) - profile.max_output_tokens
    return max(100, int(usable / profile.token_margin) - INSTRUCTIONS_TOKENS - QUESTION_TOKENS)


def map_reduce_groups(stats: CorpusStats, group_limit: int) -> int:
    """Number of groups when whole documents are packed in order into groups of at most ``group_limit`` tokens."""
    groups, current = 0, 0
    for t in stats.doc_tokens or (stats.tokens,):
        if current and current + t > group_limit:
            groups += 1
            current = 0
        current += t
    return groups + (1 if current else 0) or 1


class HeuristicRouter:
    name = "heuristic"

    def route(self, request: RouteRequest) -> Plan:
        profile = request.profile
        scoped = bool(request.scope) and request.scope_stats is not None
        stats = request.scope_stats if scoped and request.scope_stats else request.stats
        analysis = classify_question(request.question)
        qtype = analysis.type
        reasons = [
            Reason(
                "question_type",
                f"{qtype} question: {analysis.explanation}",
                {"type": qtype, "features": list(analysis.features)},
            )
        ]
        if scoped:
            reasons.append(
                Reason(
                    "named_document",
                    f"the question names {', '.join(request.scope)} ({stats.tokens:,} tokens); only it is read",
                    {"paths": list(request.scope), "words": list(request.scope_words), "tokens": stats.tokens},
                )
            )
        window = _window(profile)
        limit = window if request.budget_tokens is None else min(window, request.budget_tokens)
        prefix, suffix = full_prompt_tokens(stats)
        full_tokens = prefix + suffix
        fits_window = _fits(full_tokens, limit, profile)
        fits_effective = fits_window and _fits(full_tokens, profile.effective_window or window, profile)
        size = {
            "prompt_tokens": full_tokens,
            "margin": profile.token_margin,
            "output_reserve": profile.max_output_tokens,
            "window": window,
            "effective_window": profile.effective_window,
            "budget_tokens": request.budget_tokens,
        }
        full = _priced_estimate("full", profile, prefix=prefix, suffix=suffix, warm=request.cache.warm, k=PASSAGES_K)
        k = retrieve_k_within(stats, retrieve_k(stats, qtype), limit, profile)
        retrieve = _priced_estimate(
            "retrieve", profile, prefix=0, suffix=retrieve_prompt_tokens(stats, k), warm=False, k=k
        )
        fallback: Mode | None = "full" if fits_window else None

        if request.force_mode:
            chosen = {"full": full, "retrieve": retrieve}.get(request.force_mode) or self._map_reduce(
                stats, profile, limit, request
            )
            reasons.append(Reason("forced", f"{request.force_mode} was asked for", {"mode": request.force_mode}))
            return self._plan(request, qtype, chosen, reasons, None, [full, retrieve], scoped)

        if fits_window:
            reasons.append(
                Reason(
                    "fits_window",
                    f"the whole text ({full_tokens:,} tokens x {profile.token_margin} margin + "
                    f"{profile.max_output_tokens:,} for the answer) fits the {limit:,}-token "
                    f"{'budget' if limit != window else 'window'}"
                    + ("" if fits_effective else f" but not the {profile.effective_window:,}-token effective window"),
                    size,
                )
            )
        else:
            reasons.append(
                Reason(
                    "over_window",
                    f"the whole text ({full_tokens:,} tokens with margin and answer reserve) does not fit the "
                    f"{limit:,}-token {'budget' if limit != window else 'window'}",
                    size,
                )
            )

        if fits_window and stats.tokens < TINY_CORPUS_TOKENS:
            reasons.append(
                Reason("tiny_corpus", f"under {TINY_CORPUS_TOKENS:,} tokens: read it all", {"tokens": stats.tokens})
            )
            return self._plan(request, qtype, full, reasons, None, [full, retrieve])
        if scoped and fits_effective and stats.tokens <= NAMED_DOCUMENT_WHOLE_TOKENS:
            reasons.append(
                Reason(
                    "named_document_whole",
                    f"the named document is small enough ({stats.tokens:,} <= {NAMED_DOCUMENT_WHOLE_TOKENS:,} "
                    "tokens) to read whole, which misses nothing that retrieving inside it could",
                    {"tokens": stats.tokens, "threshold": NAMED_DOCUMENT_WHOLE_TOKENS},
                )
            )
            return self._plan(request, qtype, full, reasons, None, [full, retrieve])
        if qtype in ("aggregate", "summary"):
            if fits_effective:
                reasons.append(
                    Reason(
                        "needs_everything",
                        f"a {qtype} question needs every relevant part, and the whole text fits the effective "
                        "window: read it all",
                        {"type": qtype},
                    )
                )
                return self._plan(request, qtype, full, reasons, None, [full, retrieve])
            mr = self._map_reduce(stats, profile, limit, request)
            reasons.append(
                Reason(
                    "map_reduce",
                    f"a {qtype} question needs every relevant part, but the text is larger than the effective "
                    f"window: read it in {mr.groups} window-sized groups, then combine the findings",
                    {"groups": mr.groups, "group_tokens": self._group_limit(profile, limit)},
                )
            )
            return self._plan(request, qtype, mr, reasons, None, [mr, retrieve])

        if profile.backend == "extractive":
            reasons.append(
                Reason(
                    "extractive_lookup",
                    f"the extractive backend quotes the top evidence, so {k} retrieved chunks carry what a full "
                    "pass would show it; full remains the fallback",
                    {"k": k},
                )
            )
            return self._plan(request, qtype, retrieve, reasons, fallback, [full, retrieve])
        if not fits_effective:
            return self._plan(request, qtype, retrieve, reasons, fallback, [retrieve])
        if request.cache.warm:
            reasons.append(
                Reason(
                    "warm_cache",
                    f"this prefix was sent {request.cache.age_s:.0f} s ago (TTL {request.cache.ttl_s} s): "
                    "a full pass reads it from the cache",
                    {"age_s": request.cache.age_s, "ttl_s": request.cache.ttl_s},
                )
            )
        metric = "cost_usd" if _priced(profile) else "prefill_tokens"
        full_m = full.cost_usd if _priced(profile) else full.prefill
        retrieve_m = retrieve.cost_usd if _priced(profile) else retrieve.prefill
        data = {"metric": metric, "full": full_m, "retrieve": retrieve_m, "full_premium": FULL_PREMIUM}
        unit = (lambda v: f"${v:.4f}") if _priced(profile) else (lambda v: f"{v:,.0f} prefill tokens")
        if full_m <= retrieve_m * FULL_PREMIUM:
            reasons.append(
                Reason(
                    "cheaper",
                    f"full ({unit(full_m)}) costs at most {FULL_PREMIUM}x retrieve ({unit(retrieve_m)}) and "
                    "misses nothing",
                    data,
                )
            )
            return self._plan(request, qtype, full, reasons, None, [full, retrieve])
        reasons.append(
            Reason(
                "cheaper",
                f"retrieve ({unit(retrieve_m)}, k={k}) is cheaper than full ({unit(full_m)}); "
                "if the answer says the context is insufficient, docintel re-asks with the full text",
                data,
            )
        )
        return self._plan(request, qtype, retrieve, reasons, fallback, [full, retrieve])

    @staticmethod
    def _group_limit(profile: ModelProfile, limit: int) -> int:
        return group_token_limit(profile, limit)

    def _map_reduce(self, stats: CorpusStats, profile: ModelProfile, limit: int, request: RouteRequest) -> Estimate:
        groups = map_reduce_groups(stats, self._group_limit(profile, limit))
        prefix = stats.tokens + stats.segments * LABEL_TOKENS_PER_SEGMENT + stats.documents * DOC_HEADER_TOKENS
        prefix += groups * INSTRUCTIONS_TOKENS
        suffix = groups * QUESTION_TOKENS + INSTRUCTIONS_TOKENS + groups * EXPECTED_OUTPUT_TOKENS  # + reduce call
        return _priced_estimate(
            "map_reduce", profile, prefix=prefix, suffix=suffix, warm=False, groups=groups, calls=groups + 1
        )

    @staticmethod
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
            reasons.append(
                Reason(
                    "self_route",
                    f"if the answer says the context is insufficient, re-run as {fallback}",
                    {"fallback": fallback},
                )
            )
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
        )
