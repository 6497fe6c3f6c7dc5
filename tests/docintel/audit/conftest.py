"""Audit fixtures: hand-built corpora and reports made of the real value types (no pipeline needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from docintel.answer import Usage
from docintel.audit.checklists import Checklist, load_checklist
from docintel.audit.results import AuditReport, ItemResult
from docintel.audit.runner import pattern_evidence
from docintel.corpus import Corpus, Document, Segment, SourceSpan
from docintel.plan import Plan, Reason, TokenEstimate

APP_PY = """import sqlite3
import subprocess

API_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"


def find_user(conn, name):
    return conn.execute(f"SELECT * FROM users WHERE name = '{name}'").fetchall()


def find_user_safe(conn, name):
    return conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall()


def ping(host):
    return subprocess.run("ping -c 1 " + host, shell=True, check=False)
"""


def make_document(path: str, text: str, kind: str = "code") -> Document:
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    span = SourceSpan(path=path, start=0, end=len(text), start_line=1, end_line=lines)
    seg = Segment(text=text, span=span, tokens=len(text) // 4, unit="lines")
    return Document(
        path=path,
        kind=kind,  # type: ignore[arg-type]
        language="python" if kind == "code" else None,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        size=len(text.encode()),
        text=text,
        segments=(seg,),
    )


@pytest.fixture
def code_corpus(tmp_path: Path) -> Corpus:
    docs = (make_document("src/app.py", APP_PY), make_document("README.md", "Run with shell=True\n", "text"))
    return Corpus(root=tmp_path, documents=tuple(sorted(docs, key=lambda d: d.path)))


@pytest.fixture
def security() -> Checklist:
    return load_checklist("code-security")


def make_plan(question: str, mode: str = "full") -> Plan:
    return Plan(
        mode=mode,  # type: ignore[arg-type]
        question=question,
        question_type="aggregate",
        profile="claude-sonnet-4-6",
        reasons=(Reason("question_type", "aggregate question: needs every instance"),),
        tokens=TokenEstimate(cache_write=1200, uncached=80, output=500),
        cost_usd=0.0123,
    )


@pytest.fixture
def evidence_report(code_corpus: Corpus, security: Checklist) -> AuditReport:
    """An evidence-only report: pattern findings computed for real over ``code_corpus``."""
    items = []
    for item in security.items:
        items.append(
            ItemResult(
                item=item,
                plan=make_plan(item.question),
                answer="",
                evidence=pattern_evidence(code_corpus, item, security.kinds),
                usage=Usage(),
                insufficient_context=False,
                seconds=0.01,
            )
        )
    return AuditReport(
        corpus_root=str(code_corpus.root),
        corpus_hash=code_corpus.content_hash,
        documents=len(code_corpus.documents),
        corpus_tokens=code_corpus.tokens,
        checklist=security,
        docintel_version="0.1.0",
        backend="extractive",
        model="extractive",
        profile="claude-sonnet-4-6",
        verdict="evidence_only",
        items=tuple(items),
        started_at="2026-11-22T19:00:00+00:00",
        seconds=0.1,
    )
