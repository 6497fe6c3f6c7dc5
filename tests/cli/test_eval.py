"""``docintel eval`` end to end: a hand-made case file over a tiny corpus, a slice of a real eval corpus, and niah."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docintel.cli.main import app

TOPICS = ("falcon", "harbor", "orchard", "glacier")
FACTS = {
    "falcon": "The launch code of the falcon project is AZURE-42, kept by the night shift.",
    "orchard": "The orchard irrigation budget was raised to 7,300 euros after the dry spring.",
}


def _document(topic: str) -> str:
    lines = [f"# Notes on {topic}", ""]
    for i in range(90):
        lines.append(f"Entry {i} about the {topic} work: crew {i % 7} logged item {i * 13} with status code {i * 7}.")
        if i == 45 and topic in FACTS:
            lines.append(FACTS[topic])
    return "\n".join(lines) + "\n"


@pytest.fixture()
def tiny_eval(tmp_path: Path) -> Path:
    """``eval/corpora/tiny/*.md`` and ``eval/cases/tiny.jsonl``: two lookups, one absent question."""
    corpus = tmp_path / "eval" / "corpora" / "tiny"
    corpus.mkdir(parents=True)
    texts = {f"{t}.md": _document(t) for t in TOPICS}
    for name, text in texts.items():
        (corpus / name).write_text(text, encoding="utf-8")

    def evidence(name: str, needle: str) -> dict[str, Any]:
        start = texts[name].index(needle)
        return {"path": name, "start": start, "end": start + len(needle)}

    cases = [
        {
            "id": "t1",
            "suite": "tiny",
            "corpus": "tiny",
            "kind": "lookup",
            "answer": "AZURE-42",
            "question": "What is the launch code of the falcon project?",
            "evidence": [evidence("falcon.md", FACTS["falcon"])],
        },
        {
            "id": "t2",
            "suite": "tiny",
            "corpus": "tiny",
            "kind": "lookup",
            "answer": "7,300 euros",
            "question": "How much was the orchard irrigation budget raised to?",
            "evidence": [evidence("orchard.md", FACTS["orchard"])],
        },
        {
            "id": "t3",
            "suite": "tiny",
            "corpus": "tiny",
            "kind": "absent",
            "answer": "",
            "question": "Who won the 1998 chess olympiad?",
            "evidence": [],
        },
    ]
    file = tmp_path / "eval" / "cases" / "tiny.jsonl"
    file.parent.mkdir(parents=True)
    file.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return file


def _run(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_eval_json_on_a_tiny_corpus(tiny_eval: Path) -> None:
    data = _run(["eval", "--cases", str(tiny_eval), "--json", "--details"])
    strategies = data["strategies"]
    assert set(strategies) == {"router", "full", "retrieve"}
    for s in strategies.values():
        assert {"recall", "tokens", "cost_usd", "cases"} <= set(s)
        assert s["cases"] == 3 and s["recall_cases"] == 2
        assert s["tokens"]["total"] == s["tokens"]["cache_write"] + s["tokens"]["cache_read"] + s["tokens"]["uncached"]
    full, router, retrieve = strategies["full"], strategies["router"], strategies["retrieve"]
    # The whole tiny corpus is in a full prompt: every gold character is covered.
    assert full["recall"] == 1.0 and full["spans_half_covered"] == 1.0
    # A tiny corpus is read whole by the router too.
    assert router["recall"] == full["recall"]
    assert router["modes"] == {"full": 3}
    assert retrieve["modes"] == {"retrieve": 3}
    assert retrieve["tokens"]["total"] < full["tokens"]["total"]
    # Full mode: the first question writes the corpus prefix to the cache, the next two read it.
    rows = [r for r in data["results"] if r["strategy"] == "full"]
    assert rows[0]["tokens"]["cache_write"] > 0 and rows[0]["tokens"]["cache_read"] == 0
    assert all(r["tokens"]["cache_read"] == rows[0]["tokens"]["cache_write"] for r in rows[1:])
    assert full["cost_usd"] > 0
    # absent: tokens and cost, no recall.
    absent = data["by_kind"]["absent"]["full"]
    assert absent["recall"] is None and absent["cases"] == 1 and absent["tokens"]["total"] > 0
    assert data["by_kind"]["lookup"]["full"]["recall"] == 1.0
    assert data["by_suite"]["tiny"]["router"]["cases"] == 3
    assert data["router_modes"] == {"full": 3}


def test_eval_table_limit_and_strategies(tiny_eval: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--cases", str(tiny_eval), "--limit", "1", "--strategies", "retrieve"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "tiny/lookup" in result.stdout and "retrieve" in result.stdout
    assert "router" not in result.stdout.split("profile")[-1].replace("router vs", "")


def test_eval_user_errors(tiny_eval: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", "--cases", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "cases file not found" in str(missing.exception)
    bad = runner.invoke(app, ["eval", "--cases", str(tiny_eval), "--corpora", str(tmp_path / "none")])
    assert bad.exit_code == 1 and "corpus folder not found" in str(bad.exception)
    strategy = runner.invoke(app, ["eval", "--cases", str(tiny_eval), "--strategies", "magic"])
    assert strategy.exit_code == 1 and "unknown strategy" in str(strategy.exception)


@pytest.mark.usefixtures("hash_embedder")
def test_eval_on_real_nda_cases(eval_dir: Path) -> None:
    """The first 5 ContractNLI cases over the real contracts-nda corpus (~250K tokens: fits Sonnet's window).
    What is asserted (full recall, token totals, retrieve far cheaper than full) does not depend on the embedding
    model: the hash embedder spares indexing ~1,000 chunks with the real one."""
    from docintel.ingest import load_corpus

    data = _run(
        ["eval", "--cases", str(eval_dir / "cases" / "contracts-nda.jsonl"), "--limit", "5", "--json", "--details"]
    )
    for s in ("router", "full", "retrieve"):
        assert data["strategies"][s]["cases"] == 5
        assert 0.0 <= data["strategies"][s]["recall"] <= 1.0
    assert data["strategies"]["full"]["truncated"] == 0
    corpus_tokens = load_corpus(eval_dir / "corpora" / "contracts-nda").tokens
    for row in (r for r in data["results"] if r["strategy"] == "full"):
        # The full prompt is the corpus plus labels, corpus map, passages and the question.
        assert 0.98 * corpus_tokens <= row["tokens"]["total"] <= 1.25 * corpus_tokens
    assert data["strategies"]["full"]["recall"] >= 0.99
    assert data["strategies"]["retrieve"]["tokens"]["total"] < data["strategies"]["full"]["tokens"]["total"] / 10


def test_eval_niah_writes_heatmap(tmp_path: Path) -> None:
    essays = tmp_path / "essays"
    essays.mkdir()
    for n in range(3):
        (essays / f"e{n}.txt").write_text(
            "".join(
                f"Essay {n} paragraph {i} argues that small teams ship faster than large ones. " for i in range(150)
            ),
            encoding="utf-8",
        )
    before = sorted(p.name for p in essays.iterdir())
    out = tmp_path / "heat.png"
    data = _run(
        [
            "eval",
            "niah",
            "--corpus",
            str(essays),
            "--lengths",
            "1k,3k",
            "--depths",
            "0,50,100",
            "--out",
            str(out),
            "--backend",
            "extractive",
            "--json",
        ]
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cells = data["cells"]
    assert [(c["length"], c["depth"]) for c in cells] == [(n, d) for n in (1000, 3000) for d in (0, 50, 100)]
    # Tiny haystacks are read whole by the router: the needle is always in the prompt.
    assert all(c["in_prompt"] == 1.0 and c["mode"] == "full" for c in cells)
    # The extractive backend quotes the needle: the reference answer is in every answer.
    assert all(c["in_answer"] == 1.0 for c in cells)
    assert sorted(p.name for p in essays.iterdir()) == before  # the corpus was not written
