"""Syntax candidates of the code-security audit on real files written by the test: aliased imports, SQL built over
several statements, JavaScript, a shell script and config files; nothing in comments, docstrings or strings."""

from __future__ import annotations

import pytest

from docintel.audit.candidates import candidate_evidence
from docintel.audit.checklists import load_checklist
from docintel.audit.code_findings import Candidate, corpus_findings
from docintel.corpus import Corpus
from docintel.ingest import load_corpus
from tests.docintel.audit.vulnerable_code import DECOYS, EXPECTED, line_of, write_vulnerable


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return load_corpus(write_vulnerable(tmp_path_factory.mktemp("vulnerable")))


@pytest.fixture(scope="module")
def found(corpus: Corpus) -> list[Candidate]:
    return corpus_findings(corpus)


def test_every_planted_finding_is_a_candidate_at_its_line(found: list[Candidate]) -> None:
    have = {(c.path, c.line, c.rule) for c in found}
    missing = [(f, m, r) for f, m, r in EXPECTED if (f, line_of(f, m), r) not in have]
    assert missing == []


def test_nothing_in_comments_docstrings_or_string_literals(found: list[Candidate]) -> None:
    decoy_lines = {(f, line_of(f, m)) for f, m in DECOYS}
    assert [c for c in found if (c.path, c.line) in decoy_lines] == []
    # the module docstring of shop/app.py mentions eval( and shell=True on line 1
    assert not [c for c in found if c.path == "shop/app.py" and c.line == 1]


def test_aliases_and_multi_line_sql_are_resolved(found: list[Candidate]) -> None:
    by_line = {(c.path, c.line, c.rule): c for c in found}
    md5 = by_line[("shop/app.py", line_of("shop/app.py", "MARK:md5-alias"), "weak-crypto")]
    assert md5.why == "MD5 hash (imported as md5)"
    sql = by_line[("shop/app.py", line_of("shop/app.py", "MARK:sql-multi"), "sql-string-building")]
    assert f"built on line {line_of('shop/app.py', 'query += name')}" in sql.why
    popen = by_line[("tools/archive.py", line_of("tools/archive.py", "MARK:popen-alias"), "shell-injection")]
    assert "operating_system.popen" in popen.why
    # the bound-parameter query beside them is not a candidate
    safe = line_of("shop/app.py", "WHERE title = ?")
    assert not [c for c in found if c.path == "shop/app.py" and c.line == safe]


def test_audit_evidence_lists_syntax_candidates_as_unjudged_findings(corpus: Corpus) -> None:
    items = {i.id: i for i in load_checklist("code-security").items}
    evidence = candidate_evidence(corpus, items["eval-exec"], ("code",))
    where = {(e.span.path, e.span.start_line) for e in evidence}
    assert where == {
        ("shop/app.py", line_of("shop/app.py", "MARK:eval")),
        ("blog/views.py", line_of("blog/views.py", "MARK:exec")),
        ("web/admin.js", line_of("web/admin.js", "MARK:js-eval")),
        ("deploy/deploy.sh", line_of("deploy/deploy.sh", "MARK:sh-eval")),
    }
    assert all(e.source == "syntax" and e.finding for e in evidence)
    line = evidence[0]
    doc = corpus.document(line.span.path)
    assert doc.text[line.span.start : line.span.end].strip() == line.quote
