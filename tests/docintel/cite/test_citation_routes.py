"""One span, one label, on every route: ``ask --json``, ``search --json``, ``audit --format json`` and MCP.

The corpus is built for real (a Word-numbered DOCX, a paged PDF with running header and footer, a diarized SRT,
a voice-tagged VTT; tests/ingest/citation_docs.py), indexed with the real embedding model, and answered by the
extractive backend. Every citation, hit and evidence line must carry the clause, page, speaker and cue times
that ``docintel.cite.locators.span_in`` gives the same range of the freshly loaded document, and the specific quotes
below their exact labels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docintel.cite.locators import span_in
from docintel.cli.main import app
from docintel.corpus import Corpus
from docintel.ingest import load_corpus
from tests.ingest.citation_docs import DIARIZED_SRT, VOICE_VTT, write_numbered_docx, write_paged_pdf

LOCATORS = ("clause", "page", "speaker", "start_time", "end_time")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("routes") / "corpus"
    root.mkdir()
    write_numbered_docx(root / "cloud_service_agreement.docx")
    write_paged_pdf(root / "services_agreement.pdf")
    (root / "budget_review.srt").write_text(DIARIZED_SRT, encoding="utf-8")
    (root / "vendors.vtt").write_text(VOICE_VTT, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path) -> Corpus:
    return load_corpus(corpus_dir)


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("routes-home")


@pytest.fixture
def runner(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOCINTEL_HOME", str(shared_home))  # index once for the module
    return CliRunner()


def expected(corpus: Corpus, row: dict[str, Any]) -> dict[str, Any]:
    span = span_in(corpus.document(row["path"]), row["start"], row["end"])
    return {"label": span.label(), **{k: getattr(span, k) for k in LOCATORS}}


def located(row: dict[str, Any]) -> dict[str, Any]:
    return {"label": row["label"], **{k: row.get(k) for k in LOCATORS}}


def ask(runner: CliRunner, root: Path, question: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["ask", str(root), question, "--json"])
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout)["citations"])


@pytest.mark.parametrize(
    ("question", "quote", "label", "fields"),
    [
        (
            "How much is travel capped at per quarter?",
            "Travel is capped at five thousand per quarter.",
            "budget_review.srt:4 SPEAKER_04 [00:18:43]",
            {"speaker": "SPEAKER_04", "start_time": 1123.0, "end_time": 1127.5},
        ),
        (
            "Who offered the lowest price per seat?",
            "Acme offered the lowest price per seat.",
            "vendors.vtt:1 Maria Lopez [00:09:28]",
            {"speaker": "Maria Lopez", "start_time": 568.0, "end_time": 573.5},
        ),
        (
            "Which state's law governs the Cloud Service Agreement?",
            "This Agreement is governed by the laws of the State of Delaware.",
            "cloud_service_agreement.docx:26 § 9.1",
            {"clause": "9.1"},
        ),
        (
            "What does the second condition of clause 10.10 say?",
            "(b) the second condition of clause 10.10 applies as well.",
            "services_agreement.pdf:100 p. 4 § 10.10(b)",
            {"clause": "10.10(b)", "page": 4},
        ),
    ],
)
def test_ask_json_cites_the_quote_with_its_own_locators(
    runner: CliRunner, corpus_dir: Path, corpus: Corpus, question: str, quote: str, label: str, fields: dict
) -> None:
    citations = ask(runner, corpus_dir, question)
    for c in citations:  # every citation: the label the same range gets everywhere, a clean quote
        assert located(c) == expected(corpus, c)
        assert "-->" not in c["quote"] and not any(ln.strip().isdigit() for ln in c["quote"].split("\n"))
    mine = next(c for c in citations if c["quote"] == quote)
    assert mine["label"] == label
    assert {k: mine.get(k) for k in fields} == fields


def test_search_hits_carry_the_labels_of_their_ranges(runner: CliRunner, corpus_dir: Path, corpus: Corpus) -> None:
    result = runner.invoke(app, ["search", str(corpus_dir), "governing law of the agreement", "--k", "8", "--json"])
    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert len(hits) == 8
    for hit in hits:
        assert located(hit) == expected(corpus, hit)
    pdf = next(h for h in hits if h["path"] == "services_agreement.pdf" and "10.8 Governing Law" in h["text"])
    assert pdf["page"] == 4 and "NORTHWIND" not in pdf["text"]  # no running header inside a hit


def test_audit_evidence_is_labelled_like_every_other_route(runner: CliRunner, corpus_dir: Path, corpus: Corpus) -> None:
    result = runner.invoke(app, ["audit", str(corpus_dir), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    items = {i["id"]: i for i in json.loads(result.stdout)["items"]}
    evidence = [e for item in items.values() for e in item["evidence"]]
    assert evidence
    for e in evidence:
        assert located(e) == expected(corpus, e)
    labels = {e["label"] for e in items["governing-law"]["evidence"] if e["source"] == "pattern"}
    # the drift: governing law is § 10.8 in the PDF (not 10.7), § 9.1 in the DOCX (not 10.1)
    assert {"services_agreement.pdf:93 p. 4 § 10.8", "cloud_service_agreement.docx:26 § 9.1"} <= labels
    assignment = {e["label"] for e in items["assignment"]["evidence"] if e["source"] == "pattern"}
    assert "services_agreement.pdf:97 p. 4 § 10.10" in assignment


async def test_mcp_search_and_ask_labels(corpus_dir: Path, corpus: Corpus, shared_home: Path) -> None:
    from mcp import Client

    from docintel.mcp_server import build_server

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(shared_home))
        server = build_server([corpus_dir])
        async with Client(server) as client:
            found = await client.call_tool("search", {"query": "travel capped per quarter", "k": 3})
            answer = await client.call_tool("ask", {"question": "How much is travel capped at per quarter?"})
    hits = found.structured_content["hits"]
    srt = next(h for h in hits if h["path"] == "budget_review.srt")
    span = span_in(corpus.document("budget_review.srt"), 0, len(corpus.document("budget_review.srt").text))
    assert srt["label"] == span.label() and srt["start_time"] == 1.0  # the whole conversation: one chunk
    cited = answer.structured_content["citations"]
    travel = next(c for c in cited if "Travel is capped" in c["quote"])
    assert travel["label"] == "budget_review.srt:4 SPEAKER_04 [00:18:43]"
    assert (travel["speaker"], travel["start_time"]) == ("SPEAKER_04", 1123.0)
