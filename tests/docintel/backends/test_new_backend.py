"""CONTRIBUTING.md's new-backend walkthrough, done: a toy backend (one class, one registry line) answers through
the Session and through the CLI with options from its schema, and nothing else in docintel names it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import docintel
from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import REGISTRY, BackendCapabilities, BackendOption, resolve_options
from docintel.cli.main import app
from docintel.errors import DocintelError
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt

from ..qa_corpus import write_corpus

ROOT = Path(__file__).resolve().parents[3]


class EchoBackend:
    """Step 1 of the walkthrough: quotes the first sent span that shares a word with the question, cited."""

    name = "echo"
    capabilities = BackendCapabilities(streams=True, exact_token_count=False, needs="key")
    options = (
        BackendOption("prefix", required=True, env="ECHO_PREFIX", help="Words the answer starts with."),
        BackendOption("repeat", "int", default=1, help="How many times the quote is repeated."),
    )
    default_profile = "extractive"  # no profile of its own: plan with the unpriced one

    def __init__(self, *, prefix: str, repeat: int = 1, profile: ModelProfile | None = None) -> None:
        self.prefix = prefix
        self.repeat = repeat
        self.profile = profile or get_profile("extractive")
        self.model = "echo-1"
        self.notes: tuple[str, ...] = ()
        self.prompts: list[Prompt] = []

    def count_tokens(self, prompt: Prompt) -> int:
        return prompt.estimated_tokens

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        self.prompts.append(prompt)
        words = {w.lower().strip("?") for w in prompt.question.split() if len(w) > 3}
        cited = next((c for c in prompt.citations if words & {w.lower() for w in c.text.split()}), None)
        quote = f"{cited.text.strip()} [{cited.id}]" if cited else "nothing"
        yield TextDelta(f"{self.prefix}: ")
        yield TextDelta(" ".join([quote] * self.repeat))
        self.notes = ("echoed one span",)
        yield UsageEvent(Usage(input_tokens=prompt.estimated_tokens, output_tokens=10))


@pytest.fixture
def echo_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 2: the one registry line (a plug-in would call register_backend)."""
    monkeypatch.setitem(REGISTRY, "echo", f"{__name__}:EchoBackend")
    monkeypatch.delenv("ECHO_PREFIX", raising=False)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("echo") / "corpus")


def test_the_schema_validates_the_toy_options(echo_registered: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DocintelError, match=r"^set ECHO_PREFIX \(or pass --backend-option prefix=\.\.\.\)"):
        resolve_options("echo", {})
    assert resolve_options("echo", {"prefix": "Hi", "repeat": "2"}) == {"prefix": "Hi", "repeat": 2}
    monkeypatch.setenv("ECHO_PREFIX", "From env")
    assert resolve_options("echo", {})["prefix"] == "From env"


def test_the_toy_answers_through_the_session(echo_registered: None, corpus_dir: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
        with docintel.open(corpus_dir, backend="echo", backend_options={"prefix": "Echo"}) as session:
            streamed: list[str] = []
            answer = session.ask("Which law governs this agreement?", on_text=streamed.append)
            engine = session.backend()
    assert answer.backend == "echo" and answer.model == "echo-1"
    assert answer.text.startswith("Echo: ") and "".join(streamed) == answer.text
    assert answer.citations and answer.citations[0].span.path == "supply_agreement.md"
    assert "echoed one span" in answer.notes  # notes are a declared member, read after generate()
    # a generative backend is not treated like the extractive one: no evidence-only lookup rule
    assert "extractive_lookup" not in [r.code for r in answer.plan.reasons]
    assert engine.name == "echo"


def test_the_toy_answers_through_the_cli(echo_registered: None, corpus_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DOCINTEL_HOME": str(tmp_path / "home")}
    args = ["ask", str(corpus_dir), "Which law governs this agreement?", "--backend", "echo", "--json"]
    result = runner.invoke(app, [*args, "-o", "prefix=Hello", "--backend-option", "repeat=2"], env=env)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["backend"] == "echo" and data["answer"].startswith("Hello: ")
    cited = data["citations"][0]["id"]
    assert data["answer"].count(f"[{cited}]") == 2  # repeat=2 reached the constructor as an int
    missing = runner.invoke(app, args, env=env)
    assert missing.exit_code == 1
    assert "pass --backend-option prefix=..." in str(missing.exception)


def test_no_front_end_or_core_module_names_a_backend() -> None:
    """Step 6's promise: the registry, each backend's own module and the profiles are the only places that know
    backend names; the rest reads capabilities (so adding `echo` changes nothing else)."""
    names = ("extractive", "anthropic", "vllm", "llamacpp")
    checked = [
        ROOT / "docintel" / f
        for f in (
            "session.py",
            "pipeline.py",
            "api.py",
            "mcp_server.py",
            "assemble/context.py",
            "assemble/budget.py",
            "display.py",
        )
    ]
    checked += [ROOT / "docintel" / "audit" / "runner.py", ROOT / "tui" / "app.py", ROOT / "routers" / "heuristic.py"]
    for path in checked:
        text = path.read_text(encoding="utf-8")
        for name in names:
            assert f'== "{name}"' not in text and f"== '{name}'" not in text, (path.name, name)
            assert f'.name == "{name}"' not in text, (path.name, name)
