"""The egress seam: every prompt a backend sends, pack output, MCP results and audit reports pass one redaction
layer (docintel.egress.guard), per destination policy, failing closed.

The anthropic tests use the real SDK against a localhost server speaking the Messages wire format
(backends/fake_messages_server.py); what the server recorded is what left the machine.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "backends"))  # the fake server and prompt helpers live there
from fake_messages_server import FakeMessagesServer
from test_anthropic import MODEL, _module_text, make_prompt, run

from docintel.answer import BackendEvent, TextDelta, Usage, UsageEvent
from docintel.backends import REGISTRY, BackendCapabilities, BackendOption, open_backend
from docintel.backends.anthropic import AnthropicBackend
from docintel.backends.retry import Backoff
from docintel.egress.guard import RedactingBackend, guard_text, resolve_policy, wrap_backend
from docintel.profiles import ModelProfile, get_profile
from docintel.prompt import Prompt


@pytest.fixture()
def corpus_files() -> dict[str, str]:
    return {f"app/module_{n}.py": _module_text(n) for n in range(3)}  # ~3,000 tokens: above Sonnet's minimum


@pytest.fixture()
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer() as srv:
        yield srv


def backend_for(server: FakeMessagesServer, redact: bool | None = None) -> RedactingBackend:
    """The anthropic backend as the factory returns it: wrapped at the egress seam."""
    inner = AnthropicBackend(
        MODEL,
        api_key=server.api_key,
        base_url=server.base_url,
        backoff=Backoff(max_retries=3, base_s=0.0, sleep=lambda s: None),
    )
    wrapped: RedactingBackend = wrap_backend(inner, redact=redact)
    return wrapped


def _secrets() -> dict[str, str]:
    rng = random.Random(7)
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(240))).decode()
    pem_lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return {
        "aws": "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
        "pem_body": pem_lines[1],
        "pem": "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(pem_lines) + "\n-----END RSA PRIVATE KEY-----\n",
        "password": "Tr0ub4dor&3-" + "".join(rng.choice(string.ascii_letters) for _ in range(8)),
    }


def _secret_corpus(s: dict[str, str], corpus_files: dict[str, str]) -> dict[str, str]:
    return {
        **corpus_files,
        "deploy/settings.py": f'REGION = "eu-west-1"\nAWS_ACCESS_KEY_ID = "{s["aws"]}"\n',
        "deploy/id_rsa": s["pem"],
        "deploy/database.yaml": f"db:\n  host: db.internal\n  user: app\n  password: {s['password']}\n",
    }


def test_secrets_never_reach_the_server_and_are_reported(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    s = _secrets()
    prompt = make_prompt(_secret_corpus(s, corpus_files), "How does deploy connect to the database?")
    backend = backend_for(server)
    backend.count_tokens(prompt)
    run(backend, prompt)

    for request in server.requests:  # count_tokens and messages: both leave the machine
        sent = json.dumps(request.body)
        for name in ("aws", "pem_body", "password"):
            assert s[name] not in sent, f"{name} was sent"
        assert (
            "[REDACTED:aws-access-key]" in sent and "[REDACTED:private-key]" in sent and "[REDACTED:password]" in sent
        )
    assert [(r.path, r.line, r.kind) for r in backend.redactions] == [
        ("deploy/database.yaml", 4, "password"),
        ("deploy/id_rsa", 1, "private-key"),
        ("deploy/settings.py", 2, "aws-access-key"),
    ]
    assert list(backend.notes) == [
        "redacted 3 secrets before sending: deploy/database.yaml:4 (password), deploy/id_rsa:1 (private-key), "
        "deploy/settings.py:2 (aws-access-key)"
    ]
    assert not any(v in " ".join(backend.notes) for v in s.values())
    assert "host: db.internal" in json.dumps(server.requests[-1].body)  # the rest of the file is still sent


def test_no_redact_sends_the_corpus_as_is(server: FakeMessagesServer, corpus_files: dict[str, str]) -> None:
    s = _secrets()
    prompt = make_prompt(_secret_corpus(s, corpus_files), "q?")
    backend = backend_for(server, redact=False)
    run(backend, prompt)
    sent = json.dumps(server.message_requests()[0].body)
    assert s["aws"] in sent and s["pem_body"] in sent and s["password"] in sent
    assert backend.redactions == [] and list(backend.notes) == []


@pytest.mark.parametrize(
    ("setting", "override", "redacted"),
    [("never", None, False), ("never", True, True), ("remote", None, True), ("always", False, False)],
)
def test_docintel_redact_setting_and_the_explicit_option(
    server: FakeMessagesServer,
    corpus_files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    override: bool | None,
    redacted: bool,
) -> None:
    monkeypatch.setenv("DOCINTEL_REDACT", setting)
    s = _secrets()
    run(backend_for(server, redact=override), make_prompt(_secret_corpus(s, corpus_files), "q?"))
    assert (s["aws"] not in json.dumps(server.message_requests()[0].body)) is redacted


def test_redacted_prefix_is_stable_so_the_cache_still_hits(
    server: FakeMessagesServer, corpus_files: dict[str, str]
) -> None:
    files = _secret_corpus(_secrets(), corpus_files)
    backend = backend_for(server)
    run(backend, make_prompt(files, "first?"))
    _, _, second = run(backend, make_prompt(files, "second?"))
    first_body, second_body = (r.body for r in server.message_requests())
    assert first_body["system"] == second_body["system"]
    assert second.usage.cache_read_tokens > 1000 and second.usage.cache_write_tokens == 0


# ---- through the pipeline: the real context builder's prompt -----------------------------------------------
def test_pipeline_full_pass_over_a_real_corpus_is_redacted_cached_and_cited(
    server: FakeMessagesServer, tmp_path: Path
) -> None:
    from docintel.ingest import load_corpus
    from docintel.session import ask

    s = _secrets()
    for path, text in _secret_corpus(s, {f"app/module_{n}.py": _module_text(n) for n in range(3)}).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    corpus = load_corpus(tmp_path)
    backend = backend_for(server)

    first = ask(corpus, None, "Where is the database password configured?", backend=backend)
    first_notes = list(backend.notes)
    second = ask(corpus, None, "Which region does deploy use?", backend=backend)

    assert first.plan.mode == second.plan.mode == "full"
    bodies = [r.body for r in server.message_requests()]
    assert len(bodies) == 2 and bodies[0]["system"] == bodies[1]["system"]
    assert [b.get("cache_control") for b in bodies[0]["system"]][-1] == {"type": "ephemeral", "ttl": "5m"}
    assert all("cache_control" not in part for part in bodies[1]["messages"][0]["content"])
    assert "Which region does deploy use?" in json.dumps(bodies[1]["messages"])
    for body in bodies:
        assert not any(s[name] in json.dumps(body) for name in ("aws", "pem_body", "password"))
    assert first_notes and first_notes[0].startswith("redacted 3 secrets before sending: deploy/database.yaml:4")
    assert first_notes[0] in first.notes  # the pipeline surfaces the backend's notes in Answer.notes
    assert first.usage.cache_write_tokens == server.reported_usage[0]["cache_creation_input_tokens"] > 2048
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens and second.usage.cache_write_tokens == 0
    # the fake model cites [1] and [2]: both map back to corpus spans, quoted from the original documents
    assert [c.id for c in first.citations] == ["1", "2"]
    for c in first.citations:
        assert c.quote.strip() == corpus.document(c.span.path).text[c.span.start : c.span.end].strip()


# ---- policy per destination, through the backend factory ---------------------------------------------------
class RecordingBackend:
    """A deterministic backend at the model boundary that records the prompt text it was handed."""

    name = "recording"
    capabilities = BackendCapabilities()
    options = (BackendOption("remote", "bool", default=False, help="Pretend to be a server off loopback."),)
    default_profile = "extractive"
    model = "recorder"
    notes: tuple[str, ...] = ()

    def __init__(self, remote: bool = False, profile: ModelProfile | None = None) -> None:
        self.capabilities = BackendCapabilities(remote=remote)
        self.profile = profile or get_profile("extractive")
        self.sent: list[str] = []

    def generate(self, prompt: Prompt) -> Iterator[BackendEvent]:
        self.sent.append(prompt.text)
        yield TextDelta("ok")
        yield UsageEvent(Usage())

    def count_tokens(self, prompt: Prompt) -> int:
        return len(prompt.text)


@pytest.mark.parametrize(
    ("setting", "remote", "redact", "redacted"),
    [
        (None, True, None, True),  # default "remote": a server off loopback gets redacted text
        (None, False, None, False),  # ... a local engine the text as it is
        ("always", False, None, True),  # DOCINTEL_REDACT=always: local engines too (vllm used to get nothing redacted)
        ("never", True, None, False),
        ("always", False, False, False),  # --no-redact / -o redact=false wins
        ("never", False, "true", True),  # -o redact=true wins, given as text
    ],
)
def test_the_factory_wraps_every_backend_with_the_policy_of_its_destination(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, remote: bool, redact: object, redacted: bool
) -> None:
    if setting is None:
        monkeypatch.delenv("DOCINTEL_REDACT", raising=False)
    else:
        monkeypatch.setenv("DOCINTEL_REDACT", setting)
    monkeypatch.setitem(REGISTRY, "recording", f"{__name__}:RecordingBackend")
    options: dict[str, object] = {"remote": remote}
    if redact is not None:
        options["redact"] = redact
    backend = open_backend("recording", options)
    assert isinstance(backend, RedactingBackend) and isinstance(backend.inner, RecordingBackend)
    s = _secrets()
    list(backend.generate(make_prompt(_secret_corpus(s, {"a.py": "x = 1\n"}), "q?")))
    sent = backend.inner.sent[0]
    assert (s["aws"] not in sent and s["password"] not in sent) is redacted
    assert ("[REDACTED:aws-access-key]" in sent) is redacted


def test_resolve_policy_and_guard_text() -> None:
    assert resolve_policy(no_redact=True) == "never"
    s = _secrets()
    assert s["aws"] not in guard_text(f'KEY = "{s["aws"]}"\n') and "[REDACTED:aws-access-key]" in guard_text(
        f'KEY = "{s["aws"]}"\n'
    )
    assert guard_text(f'KEY = "{s["aws"]}"\n', redact=False) == f'KEY = "{s["aws"]}"\n'


def test_wrapping_is_idempotent_and_keeps_the_explicit_option() -> None:
    inner = RecordingBackend(remote=True)
    off = wrap_backend(inner, redact=False)
    assert wrap_backend(off) is off and wrap_backend(off).redact_option is False
    assert wrap_backend(off, redact=True).inner is inner and wrap_backend(off, redact=True).redact_option is True


def test_guard_text_strips_invisible_characters_whatever_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_REDACT", "never")
    assert guard_text("pay\u200b to\u202e account 42\n") == "pay to account 42\n"
