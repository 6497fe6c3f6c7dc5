from __future__ import annotations

from pathlib import Path

import pytest

from docintel.audit.checklists import default_checklist, load_checklist, packaged_checklists
from docintel.audit.runner import audit_question, pattern_evidence
from docintel.corpus import Corpus
from docintel.errors import InputError

from .conftest import make_document


def test_packaged_checklists_cover_the_issue_items() -> None:
    assert {"code-security", "contract-review"} <= set(packaged_checklists())
    code = load_checklist("code-security")
    assert [i.id for i in code.items] == [
        "sql-string-building",
        "shell-injection",
        "unsafe-deserialization",
        "tls-verification-disabled",
        "hard-coded-credentials",
        "path-traversal",
        "weak-crypto",
        "eval-exec",
        "xml-external-entities",
        "debug-mode",
        "bind-all-interfaces",
        "request-without-timeout",
    ]
    assert all(i.patterns and i.hints and i.cwe for i in code.items)
    contract = load_checklist("contract-review")
    assert {i.id for i in contract.items} == {
        "governing-law", "term-and-renewal", "termination", "liability-cap", "indemnification",
        "assignment", "change-of-control", "exclusivity", "non-compete", "ip-ownership",
    }  # fmt: skip


def test_hints_steer_the_question_and_ask_for_an_explicit_none() -> None:
    item = load_checklist("code-security").items[1]
    q = audit_question(item)
    assert q.startswith(item.question) and "Look for: subprocess, shell=True" in q and q.endswith("NONE FOUND.")


def test_patterns_find_exactly_the_unsafe_lines(code_corpus: Corpus) -> None:
    items = {i.id: i for i in load_checklist("code-security").items}
    sql = pattern_evidence(code_corpus, items["sql-string-building"], ("code",))
    assert [(e.span.path, e.span.start_line) for e in sql] == [("src/app.py", 8)]  # not the bound-parameter query
    doc = code_corpus.document("src/app.py")
    assert all(doc.text[e.span.start : e.span.end] == e.quote for e in sql)
    shell = pattern_evidence(code_corpus, items["shell-injection"], ("code",))
    assert [e.span.start_line for e in shell] == [16]  # README.md is text, not code: not matched
    creds = pattern_evidence(code_corpus, items["hard-coded-credentials"], ("code",))
    assert [e.span.start_line for e in creds] == [4]
    assert pattern_evidence(code_corpus, items["unsafe-deserialization"], ("code",)) == ()


def test_default_checklist_follows_the_dominant_kind(tmp_path: Path) -> None:
    code = Corpus(root=tmp_path, documents=(make_document("a.py", "x = 1\n" * 50),))
    assert default_checklist(code).name == "code-security"
    contract = Corpus(root=tmp_path, documents=(make_document("msa.txt", "1. Term. shall\n" * 50, "contract"),))
    assert default_checklist(contract).name == "contract-review"
    talk = Corpus(root=tmp_path, documents=(make_document("m.vtt", "A: hi\n" * 9, "transcript"),))
    with pytest.raises(InputError, match="no packaged checklist for a transcript corpus"):
        default_checklist(talk)


def test_user_checklist_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text(
        "name: mine\nitems:\n  - id: todo\n    question: Where are TODOs?\n    severity: low\n    patterns: ['TODO']\n"
    )
    checklist = load_checklist(good)
    assert checklist.name == "mine" and checklist.items[0].severity == "low" and checklist.source == str(good)
    bad = tmp_path / "bad.yaml"
    bad.write_text("items:\n  - id: x\n    question: q\n    severity: severe\n")
    with pytest.raises(InputError, match="severity 'severe' is not one of"):
        load_checklist(bad)
    bad.write_text("items:\n  - id: x\n    question: q\n    severity: low\n    patterns: ['(unclosed']\n")
    with pytest.raises(InputError, match="bad pattern"):
        load_checklist(bad)
    with pytest.raises(InputError, match="no checklist 'nope'"):
        load_checklist("nope")


def test_a_long_matching_line_is_quoted_around_the_match(tmp_path: Path) -> None:
    paragraph = (
        ("The parties agree to many things about delivery and price. " * 12)
        + ("This Agreement shall be governed by the laws of the State of New York. ")
        + ("Notices go to the addresses above and are effective on receipt. " * 12)
    )
    text = "MASTER AGREEMENT\n\n" + paragraph + "\n"
    corpus = Corpus(root=tmp_path, documents=(make_document("msa.txt", text, "contract"),))
    item = next(i for i in load_checklist("contract-review").items if i.id == "governing-law")
    (hit,) = pattern_evidence(corpus, item, ("contract",))
    assert hit.span.start_line == hit.span.end_line == 3
    assert "governed by the laws of the State of New York" in hit.quote
    assert len(hit.quote) < 400 < len(paragraph)
    assert text[hit.span.start : hit.span.end] == hit.quote  # still an exact span of the document
    assert text[hit.span.start - 1].isspace() and text[hit.span.end].isspace()  # cut at word boundaries
