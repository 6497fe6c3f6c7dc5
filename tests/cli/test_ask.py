"""`docintel plan`, `pack` and `ask` through the real Typer app: JSON shapes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.errors import DocintelError
from tests.docintel.qa_corpus import write_corpus


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("cli-qa") / "corpus")


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture
def runner(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOCINTEL_HOME", str(shared_home))  # index once for the module
    return CliRunner()


def test_plan_json(runner: CliRunner, corpus_dir: Path) -> None:
    result = runner.invoke(
        app, ["plan", str(corpus_dir), "Which law governs this agreement?", "--json", "--profile", "claude-sonnet-4-6"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "full" and data["profile"] == "claude-sonnet-4-6"
    assert {"mode", "reasons", "tokens", "cost_usd", "fallback"} <= set(data)
    assert set(data["tokens"]) >= {"total", "cache_write", "cache_read", "uncached"}
    assert (
        data["tokens"]["total"]
        == data["tokens"]["cache_write"] + data["tokens"]["cache_read"] + data["tokens"]["uncached"]
    )
    assert any("read it all" in r for r in data["reasons"]) and data["cost_usd"] > 0
    args = ["plan", str(corpus_dir), "Which law governs this agreement?", "--json", "--budget", "900"]
    budgeted = json.loads(runner.invoke(app, [*args, "--profile", "claude-sonnet-4-6"]).stdout)
    assert budgeted["mode"] == "retrieve" and budgeted["tokens"]["total"] < 900


def test_plan_and_ask_default_to_the_same_profile(runner: CliRunner, corpus_dir: Path) -> None:
    question = "Which law governs this agreement?"
    planned = json.loads(runner.invoke(app, ["plan", str(corpus_dir), question, "--json"]).stdout)
    asked = json.loads(runner.invoke(app, ["ask", str(corpus_dir), question, "--json"]).stdout)
    assert planned["profile"] == asked["plan"]["profile"] == "extractive"
    assert planned["mode"] == asked["plan"]["mode"]
    # a backend named without a profile plans with that backend's profile, no key needed just to plan
    anthropic = json.loads(
        runner.invoke(app, ["plan", str(corpus_dir), question, "--json", "--backend", "anthropic"]).stdout
    )
    assert anthropic["profile"] == "claude-sonnet-4-6" and anthropic["cost_usd"] > 0


def test_mode_prefer_and_expect_questions_reach_the_router(runner: CliRunner, corpus_dir: Path) -> None:
    question = "Which law governs this agreement?"
    forced = json.loads(runner.invoke(app, ["plan", str(corpus_dir), question, "--json", "--mode", "retrieve"]).stdout)
    assert forced["mode"] == "retrieve" and "forced" in [r["code"] for r in forced["reason_codes"]]
    asked = runner.invoke(app, ["ask", str(corpus_dir), question, "--json", "--mode", "retrieve", "--prefer", "cost"])
    assert asked.exit_code == 0, asked.stderr
    assert json.loads(asked.stdout)["plan"]["mode"] == "retrieve"
    bad = runner.invoke(app, ["plan", str(corpus_dir), question, "--expect-questions", "0"])
    assert bad.exit_code == 2


def test_ask_json_has_the_answer_citations_plan_and_usage(runner: CliRunner, corpus_dir: Path) -> None:
    result = runner.invoke(app, ["ask", str(corpus_dir), "Which law governs this agreement?", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"answer", "citations", "plan", "usage", "cost_usd"} <= set(data)
    assert "State of Delaware" in data["answer"]
    first = data["citations"][0]
    assert {"path", "start", "end", "start_line", "end_line", "quote"} <= set(first)
    assert first["path"] == "supply_agreement.md" and "Delaware" in first["quote"]
    text = (corpus_dir / "supply_agreement.md").read_text(encoding="utf-8")
    assert text[first["start"] : first["end"]] == first["quote"]
    assert set(data["usage"]) >= {
        "input_tokens",
        "cache_write_tokens",
        "cache_read_tokens",
        "output_tokens",
        "ttft_s",
        "total_s",
    }
    assert data["plan"]["mode"] in ("full", "retrieve") and data["cost_usd"] == 0.0


def test_ask_renders_answer_and_sources(runner: CliRunner, corpus_dir: Path) -> None:
    result = runner.invoke(app, ["ask", str(corpus_dir), "Which law governs this agreement?"])
    assert result.exit_code == 0, result.stderr
    assert "State of Delaware" in result.stdout
    assert "Sources" in result.stdout and "supply_agreement.md:" in result.stdout
    assert "plan: full" in result.stderr


@pytest.mark.parametrize("fmt", ["md", "xml", "json"])
def test_pack_formats(runner: CliRunner, corpus_dir: Path, fmt: str) -> None:
    result = runner.invoke(
        app, ["pack", str(corpus_dir), "Which law governs this agreement?", "--budget", "1000", "--format", fmt]
    )
    assert result.exit_code == 0, result.stderr
    assert "State of Delaware" in result.stdout
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["citations"] and all({"id", "path", "start_line", "end_line"} <= set(c) for c in data["citations"])


def test_user_errors_are_one_line(runner: CliRunner, corpus_dir: Path, tmp_path: Path) -> None:
    from docintel.cli.main import main

    for args, expected in (
        (["ask", str(tmp_path / "missing"), "q"], "path not found"),
        (["plan", str(corpus_dir), "q", "--profile", "nope"], "unknown profile 'nope'"),
        (["ask", str(corpus_dir), "q", "--backend", "extractive", "--model", "x"], "has no option 'model'"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert isinstance(result.exception, DocintelError) and expected in str(result.exception)
        assert "\n" not in str(result.exception)
    assert callable(main)


@pytest.mark.parametrize(
    "args,expected",
    [
        (["ask", "{corpus}", "q", "--backend", "nope"], "unknown backend 'nope'"),
        (["plan", "{corpus}", "q", "--backend", "nope"], "unknown backend 'nope'"),
        (["pack", "{corpus}", "q", "--format", "html"], "'html' is not one of"),
        (["search", "{corpus}", "q", "--mode", "magic"], "'magic' is not one of"),
        (["ask", "{corpus}", "q", "--mode", "half"], "'half' is not one of"),
        (["ask", "{corpus}", "q", "--prefer", "speed"], "'speed' is not one of"),
    ],
)
def test_invalid_option_values_are_usage_errors(
    runner: CliRunner, corpus_dir: Path, args: list[str], expected: str
) -> None:
    result = runner.invoke(app, [a.format(corpus=corpus_dir) for a in args])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.stderr.split()), result.stderr
