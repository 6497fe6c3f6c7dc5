"""ask(): Self-Route escalation, over-window fallback, map-reduce, cache state, pack — with deterministic fake
backends at the model boundary (they implement the Backend Protocol; no SDK is involved)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.assemble.cache_state import cache_status
from docintel.assemble.context import INSUFFICIENT_MARKER, prefix_key
from docintel.backends import Backend, BackendCapabilities
from docintel.errors import PromptTooLongError
from docintel.pipeline import pack, plan_question
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt
from docintel.session import ask
from docintel.tokens import count_tokens

from .qa_corpus import opened, write_corpus

SONNET = get_profile("claude-sonnet-4-6")
TOPICS = [
    "freight",
    "warehousing",
    "insurance",
    "customs",
    "packaging",
    "labelling",
    "returns",
    "recalls",
    "forecasting",
    "invoicing",
    "auditing",
    "security",
    "training",
    "maintenance",
    "disposal",
]


def policy(topic: str, n: int) -> str:
    """A filler policy document of ~800 tokens on one topic (so the corpus is no longer tiny)."""
    lines = [f"# {topic.title()} Policy {n}", ""]
    for i in range(1, 25):
        lines.append(
            f"{n}.{i} The {topic} team reviews procedure {i} every {i + 2} weeks, records exceptions in the "
            f"{topic} register, and escalates unresolved {topic} issues to the operations lead within {i} days."
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """The QA corpus plus 15 policy documents: ~13K tokens, above the tiny-corpus rule."""
    root = write_corpus(tmp_path_factory.mktemp("larger") / "corpus")
    for n, topic in enumerate(TOPICS, 1):
        (root / f"policies/{topic}.md").parent.mkdir(exist_ok=True)
        (root / f"policies/{topic}.md").write_text(policy(topic, n), encoding="utf-8")
    with opened(root, tmp_path_factory.mktemp("larger-home")) as pair:
        assert pair[0].tokens > 10_000
        yield pair


class ScriptedModel:
    """Answers like a model that follows the instructions: the marker when the retrieved passages are judged
    insufficient (``insufficient_on``), else a sentence citing the span that holds ``needle``."""

    capabilities = BackendCapabilities()  # a language model that counts exactly, no prefix cache
    notes: tuple[str, ...] = ()

    def __init__(
        self, profile: ModelProfile, needle: str, *, insufficient_on: str = "retrieve", too_long_on: str = ""
    ) -> None:
        self.name = "scripted"
        self.model = "scripted-1"
        self.profile = profile
        self.needle = needle
        self.insufficient_on = insufficient_on
        self.too_long_on = too_long_on
        self.prompts: list[Prompt] = []

    def count_tokens(self, prompt: Prompt) -> int:
        return count_tokens(prompt.text)

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        self.prompts.append(prompt)
        if prompt.mode == self.too_long_on:
            raise PromptTooLongError("prompt is too long: 2000000 tokens > 1000000 maximum", tokens=2_000_000)
        holder = next((c for c in prompt.citations if self.needle in c.text), None)
        if prompt.mode == self.insufficient_on or holder is None:
            text = f"The passages do not say.\n{INSUFFICIENT_MARKER}\n"
        else:
            text = f"It is governed by the laws of the State of Delaware [{holder.id}]. See also [999]."
        yield TextDelta(text[:10])
        yield TextDelta(text[10:])
        n = self.count_tokens(prompt)
        cost = self.profile.cost(uncached=n, output=20)
        yield UsageEvent(Usage(input_tokens=n, output_tokens=20, ttft_s=0.01, total_s=0.02, cost_usd=cost))


def test_self_route_escalates_an_insufficient_retrieve_answer_to_full(larger: tuple[Any, Any]) -> None:
    # a question that names no document ("this agreement" names the only agreement: read whole, no retrieval)
    corpus, index = larger
    model = ScriptedModel(SONNET, "State of Delaware")
    backend: Backend = model
    streamed: list[str] = []
    plans: list[Any] = []
    answer = ask(
        corpus,
        index,
        "What is the governing law?",
        backend=backend,
        on_text=streamed.append,
        on_plan=plans.append,
    )
    assert [p.mode for p in model.prompts] == ["retrieve", "full"]
    assert plans[0].mode == "retrieve" and plans[0].fallback == "full"
    assert answer.plan.mode == "full"
    assert "self_route_escalated" in [r.code for r in answer.plan.reasons]
    assert len(answer.calls) == 2
    assert answer.usage.input_tokens == sum(u.input_tokens for u in answer.calls)
    assert answer.calls[0].input_tokens < answer.calls[1].input_tokens  # the full pass reads more
    assert any("Self-Route" in n for n in answer.notes)
    assert not answer.insufficient_context
    assert answer.citations[0].span.path == "supply_agreement.md" and "Delaware" in answer.citations[0].quote
    assert answer.invalid_citations == ("999",)
    assert INSUFFICIENT_MARKER in "".join(streamed)  # the first call streamed too


def test_no_escalation_when_the_plan_has_no_fallback(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    model = ScriptedModel(SONNET, "State of Delaware", insufficient_on="full")
    answer = ask(corpus, index, "Which law governs this agreement?", backend=model)
    assert [p.mode for p in model.prompts] == ["full"]  # tiny corpus: full, nothing to escalate to
    assert answer.insufficient_context and len(answer.calls) == 1


def test_backend_prompt_too_long_falls_back_to_retrieve_and_says_so(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    model = ScriptedModel(SONNET, "State of Delaware", insufficient_on="none", too_long_on="full")
    answer = ask(corpus, index, "Which law governs this agreement?", backend=model)
    assert [p.mode for p in model.prompts] == ["full", "retrieve"]
    assert answer.plan.mode == "retrieve"
    assert "prompt_too_long" in [r.code for r in answer.plan.reasons]
    assert any("did not fit" in n for n in answer.notes)
    cited = answer.citations[0]
    assert "State of Delaware" in corpus.document(cited.span.path).text[cited.span.start : cited.span.end]


def test_a_full_answer_warms_the_cache_and_the_next_plan_reads_it(larger: tuple[Any, Any]) -> None:
    corpus, index = larger
    key = prefix_key(corpus, ())
    # a question every policy answers a little of: no one document to read whole, so the whole corpus is in play
    question = "How often does each team review its procedures?"
    cold = plan_question(corpus, index, question, profile=SONNET, backend_name="scripted")
    assert cold.mode == "retrieve" and cold.tokens.cache_read == 0
    assert not cache_status(key, "scripted", SONNET.id, ttl_s=SONNET.cache_ttl_s).warm
    model = ScriptedModel(SONNET, "forty-five", insufficient_on="none")
    ask(corpus, index, "Summarize everything.", backend=model)  # a summary reads everything
    assert [p.mode for p in model.prompts] == ["full"]
    status = cache_status(key, "scripted", SONNET.id, ttl_s=SONNET.cache_ttl_s)
    assert status.warm and status.age_s is not None and status.age_s < 60
    warm = plan_question(corpus, index, question, profile=SONNET, backend_name="scripted")
    assert warm.mode == "full" and warm.tokens.cache_read > 10_000
    assert "warm_cache" in [r.code for r in warm.reasons]
    # another backend's cache is not this one's
    assert plan_question(corpus, index, question, profile=SONNET, backend_name="other").mode == "retrieve"


def test_map_reduce_over_window_sized_groups_with_the_extractive_backend(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    from docintel.backends.extractive import ExtractiveBackend

    small = replace(get_profile("extractive"), context_window=900, effective_window=900, max_output_tokens=100)
    answer = ask(corpus, index, "List every function that calls hash_password.", backend=ExtractiveBackend(small))
    assert answer.plan.mode == "map_reduce" and answer.plan.groups >= 2
    assert len(answer.calls) >= 2  # one per group
    assert answer.text.startswith("Findings from")
    paths = {c.span.path for c in answer.citations}
    assert "app/views.py" in paths or "app/auth.py" in paths
    assert any("hash_password(" in c.quote for c in answer.citations)
    assert answer.invalid_citations == ()


@pytest.mark.parametrize("fmt", ["md", "xml", "json"])
def test_pack_fits_the_budget_with_ids_and_locations(qa_corpus_index: tuple[Any, Any], fmt: str) -> None:
    corpus, index = qa_corpus_index
    # 1,000: one passage with the data-rules instructions (~360 tokens) is ~570 tokens, ~880 as escaped JSON
    text = pack(corpus, index, "Which law governs this agreement?", budget_tokens=1000, fmt=fmt)  # type: ignore[arg-type]
    assert count_tokens(text) <= 1000
    assert "State of Delaware" in text
    if fmt == "json":
        data = json.loads(text)
        assert data["mode"] == "retrieve"
        cited = {c["id"]: c for c in data["citations"]}
        text_of = {d.path: d.text for d in corpus.documents}
        governing = next(c for c in cited.values() if "State of Delaware" in text_of[c["path"]][c["start"] : c["end"]])
        assert f"[{governing['id']}]" in "".join(b["text"] for b in data["blocks"])
    elif fmt == "xml":
        assert '<source id="' in text and 'path="supply_agreement.md"' in text
    else:
        assert "## Sources" in text and "supply_agreement.md:" in text


def test_pack_with_a_large_budget_sends_the_whole_small_corpus(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    data = json.loads(pack(corpus, index, "Which law governs this agreement?", budget_tokens=50_000, fmt="json"))
    assert data["mode"] == "full"
    assert {c["path"] for c in data["citations"]} == {d.path for d in corpus.documents}


def test_pack_refuses_a_budget_too_small(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    with pytest.raises(PromptTooLongError):
        pack(corpus, index, "Which law governs this agreement?", budget_tokens=50)


class TokenHungryModel(ScriptedModel):
    """A model whose tokenizer counts ``factor`` times the cl100k estimate; records what it was asked to count."""

    def __init__(self, profile: ModelProfile, factor: float) -> None:
        super().__init__(profile, "State of Delaware", insufficient_on="none")
        self.factor = factor
        self.counted: list[str] = []

    def count_tokens(self, prompt: Prompt) -> int:
        self.counted.append(prompt.mode)
        return int(count_tokens(prompt.text) * self.factor)


def test_near_the_window_the_backend_counts_exactly_and_an_over_window_prompt_is_not_sent(
    qa_corpus_index: tuple[Any, Any],
) -> None:
    from docintel.pipeline import build_prompt

    corpus, index = qa_corpus_index
    question = "Which law governs this agreement?"
    small_answers = replace(SONNET, id="tight", max_output_tokens=100)
    full = build_prompt(
        corpus, index, plan_question(corpus, index, question, profile=small_answers), profile=small_answers
    )
    assert full.mode == "full"
    # a window the estimate fits at ~95%: near enough that the estimate is not trusted
    window = int((full.estimated_tokens * SONNET.token_margin + full.max_output_tokens) / 0.95)
    tight = replace(small_answers, context_window=window, effective_window=window)
    model = TokenHungryModel(tight, factor=2.0)
    answer = ask(corpus, index, question, backend=model, profile=tight)
    assert model.counted[0] == "full"  # counted exactly before sending ...
    assert [p.mode for p in model.prompts] == ["retrieve"]  # ... and never sent: it was over the window
    assert "prompt_too_long" in [r.code for r in answer.plan.reasons]
    assert any("by scripted's count" in n for n in answer.notes)

    roomy = TokenHungryModel(SONNET, factor=2.0)  # far below the 1M window: the estimate is trusted, no count call
    ask(corpus, index, question, backend=roomy)
    assert [p.mode for p in roomy.prompts] == ["full"] and roomy.counted == ["full"]  # only generate's usage count
