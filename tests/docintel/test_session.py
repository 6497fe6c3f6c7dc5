"""The Session owns a question's run: the question is routed once (Self-Route and the over-window fallback re-route
the same request), embedded once however often it is searched, and every step's value stays inspectable.
The index runs on the deterministic hash embedder (tests/fake_embedder.py): these tests are about the run, not
about embeddings. Backends are deterministic fakes at the model boundary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import docintel
from docintel import pipeline
from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.assemble.context import INSUFFICIENT_MARKER
from docintel.backends import BackendCapabilities
from docintel.display import StreamFilter, visible_text
from docintel.profiles import get_profile
from docintel.prompt import Prompt
from docintel.session import Session

from .qa_corpus import write_corpus
from .test_pipeline import TOPICS, policy

SONNET = get_profile("claude-sonnet-4-6")


class CountingEmbedder:
    """The index's own embedder, counting the queries it embeds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.queries: list[str] = []

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    def embed(self, texts: Any, *, progress: Any = None) -> np.ndarray:
        return np.asarray(self.inner.embed(texts, progress=progress))

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.asarray(self.inner.embed_query(text))


class InsufficientFirst:
    """Says the retrieved passages are not enough, then answers from the full text, citing the Delaware clause."""

    name = "scripted"
    model = "scripted-1"
    capabilities = BackendCapabilities()
    notes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.profile = SONNET
        self.modes: list[str] = []

    def count_tokens(self, prompt: Prompt) -> int:
        return prompt.estimated_tokens

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        self.modes.append(prompt.mode)
        holder = next((c for c in prompt.citations if "State of Delaware" in c.text), None)
        if prompt.mode == "retrieve" or holder is None:
            yield TextDelta(f"The passages do not say.\n{INSUFFICIENT_MARKER}\n")
        else:
            yield TextDelta(f"Delaware law governs [{holder.id}].")
        yield UsageEvent(Usage(input_tokens=prompt.estimated_tokens, output_tokens=8))


@pytest.fixture
def larger(tmp_path: Path, hash_embedder: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
    root = write_corpus(tmp_path / "corpus")
    (root / "policies").mkdir()
    for n, topic in enumerate(TOPICS, 1):
        (root / f"policies/{topic}.md").write_text(policy(topic, n), encoding="utf-8")
    with docintel.open(root) as session:
        yield session


def test_a_question_is_routed_once_through_self_route(larger: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    requests: list[str] = []
    real = pipeline.route_request

    def counted(*args: Any, **kwargs: Any) -> Any:
        requests.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "route_request", counted)
    model = InsufficientFirst()
    plans: list[Any] = []
    answer = larger.ask("What is the governing law?", backend=model, on_plan=plans.append)
    assert model.modes == ["retrieve", "full"]  # Self-Route escalated ...
    assert requests == ["What is the governing law?"]  # ... from the one request the question was routed with
    assert [p.mode for p in plans] == ["retrieve"] and answer.plan.mode == "full"
    assert "self_route_escalated" in [r.code for r in answer.plan.reasons] and len(answer.calls) == 2
    assert answer.citations and answer.citations[0].span.path == "supply_agreement.md"


def test_a_question_is_embedded_once_however_often_it_is_searched(larger: Session) -> None:
    counting = CountingEmbedder(larger.index.embedder)
    larger.index.embedder = counting
    question = "Who reviews the freight exceptions?"
    larger.plan(question)
    larger.prompt(question, profile="claude-sonnet-4-6", mode="retrieve")
    larger.prompt(question, profile="claude-sonnet-4-6", mode="full")  # salient passages search it again
    larger.search(question, k=3)
    larger.ask(question)
    assert counting.queries.count(question) == 1


def test_each_step_stays_inspectable(larger: Session) -> None:
    question = "Who reviews the freight exceptions?"
    plan = larger.plan(question, profile="claude-sonnet-4-6", prefer="quality", expect_questions=5)
    prompt = larger.prompt(question, profile="claude-sonnet-4-6", mode=plan.mode)
    answer = larger.ask(question, profile="claude-sonnet-4-6", mode=plan.mode)
    assert plan.mode == prompt.mode == answer.plan.mode
    assert {c.id for c in answer.citations} <= {c.id for c in prompt.citations}


def test_internal_markers_never_reach_the_user() -> None:
    assert visible_text(f"The passages do not say.\n{INSUFFICIENT_MARKER}\n") == "The passages do not say.\n"
    assert visible_text(f"{INSUFFICIENT_MARKER}\n").startswith("docintel found no clear answer")
    shown: list[str] = []
    stream = StreamFilter(shown.append)
    for piece in ("The passages ", "do not say.\nINSUFF", "ICIENT_CONTEXT", "\n"):
        stream(piece)
    stream.close()
    assert "".join(shown) == "The passages do not say.\n" and shown[0] == "The passages "  # streamed, not held
    alone: list[str] = []
    only_marker = StreamFilter(alone.append)
    only_marker(INSUFFICIENT_MARKER)
    only_marker.close()
    assert "".join(alone).startswith("docintel found no clear answer")
