"""What leaves through the front ends: ``pack`` output and MCP tool results are redacted (``--no-redact`` and
``DOCINTEL_REDACT`` behave as the README says), and a scanner that cannot run sends nothing and says so in one
line, without a traceback. The anthropic backend is the real SDK against a localhost server speaking the Messages
wire format (tests/docintel/backends/fake_messages_server.py)."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "docintel" / "backends"))
from fake_messages_server import FakeMessagesServer

from docintel.cli.main import app
from docintel.errors import DocintelError

RNG = random.Random(5)
ALNUM = string.ascii_letters + string.digits
GITHUB_TOKEN = "ghp_" + "".join(RNG.choice(ALNUM) for _ in range(36))
DB_PASSWORD = "Vk" + "".join(RNG.choice(ALNUM) for _ in range(10)) + "!3"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("egress") / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "release.sh").write_text(
        f"#!/bin/sh\nexport GITHUB_TOKEN={GITHUB_TOKEN}\n./publish --tag v1.2.0\n"
    )
    (root / "deploy" / "db.yaml").write_text(f"database:\n  host: db.internal\n  password: {DB_PASSWORD}\n")
    (root / "README.md").write_text("# Release\n\nReleases are published by deploy/release.sh with a token.\n")
    (root / "app").mkdir()
    (root / "app" / "settings.py").write_text(f'DATABASES = {{"default": {{"password": "{DB_PASSWORD}"}}}}\n')
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("egress-home")


@pytest.fixture
def runner(home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOCINTEL_HOME", str(home))  # index once for the module
    monkeypatch.delenv("DOCINTEL_REDACT", raising=False)
    return CliRunner()


@pytest.fixture
def server() -> Iterator[FakeMessagesServer]:
    with FakeMessagesServer() as srv:
        yield srv


def _pack(runner: CliRunner, corpus: Path, *extra: str) -> str:
    result = runner.invoke(
        app, ["pack", str(corpus), "How are releases published?", "--budget", "4000", "--format", "json", *extra]
    )
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_pack_output_is_redacted_by_default(runner: CliRunner, corpus: Path) -> None:
    out = _pack(runner, corpus)
    assert GITHUB_TOKEN not in out and DB_PASSWORD not in out
    texts = "\n".join(b["text"] for b in json.loads(out)["blocks"])
    assert "GITHUB_TOKEN=[REDACTED:github-token]" in texts and "password: [REDACTED:password]" in texts
    assert "host: db.internal" in texts  # the rest of the file is packed as it is


def test_no_redact_and_docintel_redact_never_keep_the_text(
    runner: CliRunner, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert GITHUB_TOKEN in _pack(runner, corpus, "--no-redact")
    monkeypatch.setenv("DOCINTEL_REDACT", "never")
    assert GITHUB_TOKEN in _pack(runner, corpus)


def test_a_bad_docintel_redact_value_is_one_line(
    runner: CliRunner, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCINTEL_REDACT", "sometimes")
    result = runner.invoke(app, ["pack", str(corpus), "How are releases published?", "--budget", "4000"])
    assert isinstance(result.exception, DocintelError) and "\n" not in str(result.exception)
    assert str(result.exception) == "DOCINTEL_REDACT='sometimes' is not valid; use one of: always, remote, never"


def test_a_scanner_that_cannot_run_sends_nothing(
    corpus: Path, home: Path, server: FakeMessagesServer, tmp_path: Path
) -> None:
    """The real command in a subprocess, with detect-secrets shadowed by a package that fails to import."""
    broken = tmp_path / "shadow" / "detect_secrets"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('detect_secrets is broken in this test')\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(broken.parent),
        "DOCINTEL_HOME": str(home),
        "ANTHROPIC_API_KEY": server.api_key,
    }
    env.pop("DOCINTEL_REDACT", None)
    args = ["ask", str(corpus), "How are releases published?", "--backend", "anthropic", "--base-url", server.base_url]
    done = subprocess.run(
        [sys.executable, "-m", "docintel", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("docintel: error:")]
    assert "secret scanner cannot run" in line and "nothing was sent" in line
    assert server.requests == []  # fail closed: not one byte of the corpus left


def test_ask_with_anthropic_sends_no_secret(
    runner: CliRunner, corpus: Path, server: FakeMessagesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
    args = ["ask", str(corpus), "How are releases published?", "--backend", "anthropic", "--base-url", server.base_url]
    result = runner.invoke(app, [*args, "--json", "--mode", "full"])
    assert result.exit_code == 0, result.stderr
    sent = json.dumps([r.body for r in server.message_requests()])
    assert GITHUB_TOKEN not in sent and DB_PASSWORD not in sent and "[REDACTED:github-token]" in sent
    notes = json.loads(result.stdout)["notes"]
    assert any(n.startswith("redacted ") and "deploy/release.sh:2 (github-token)" in n for n in notes)
    assert GITHUB_TOKEN not in " ".join(notes)

    result = runner.invoke(app, [*args, "--json", "--mode", "full", "--no-redact"])
    assert result.exit_code == 0, result.stderr
    assert GITHUB_TOKEN in json.dumps(server.message_requests()[-1].body)


async def test_mcp_results_carrying_corpus_text_are_redacted(corpus: Path, home: Path) -> None:
    from mcp import Client

    from docintel.mcp_server import build_server

    async with Client(build_server([corpus])) as client:
        search = await client.call_tool("search", {"query": "GITHUB_TOKEN password", "k": 20})
        pack = await client.call_tool("pack", {"question": "How are releases published?", "budget_tokens": 4000})
        ask = await client.call_tool("ask", {"question": "Which token does release.sh export?"})
    for result in (search, pack, ask):
        assert not result.is_error
        text = json.dumps(result.structured_content)
        assert GITHUB_TOKEN not in text and DB_PASSWORD not in text
    assert "[REDACTED:" in json.dumps(search.structured_content)


@pytest.mark.parametrize("fmt", ["json", "sarif", "md"])
def test_audit_reports_are_redacted_and_stay_valid(runner: CliRunner, corpus: Path, fmt: str) -> None:
    result = runner.invoke(app, ["audit", str(corpus), "--checklist", "code-security", "--format", fmt])
    assert result.exit_code in (0, 3), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert GITHUB_TOKEN not in result.stdout and DB_PASSWORD not in result.stdout
    if fmt != "md":
        json.loads(result.stdout)  # guarded string by string: redaction never cuts a JSON escape
