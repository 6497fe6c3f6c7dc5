"""The identity index kept on disk: reused for the same corpus and code, rebuilt for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel.ingest import load_corpus
from docintel.routers import identity_cache, scope


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    root.mkdir()
    (root / "a.txt").write_text(
        'MUTUAL NONDISCLOSURE AGREEMENT\n\nThis Agreement is made between The Boston Consulting Group, Inc. ("BCG") '
        "and Acme Widgets LLC.\n\n1. Governing Law. This Agreement is governed by the laws of New York.\n"
    )
    (root / "b.txt").write_text(
        "EMPLOYEE CONFIDENTIALITY AGREEMENT\n\nThis Agreement is made between Globex Corporation and the Employee."
        "\n\n1. Governing Law. This Agreement is governed by the laws of Texas.\n"
    )
    return root


def test_second_process_reads_the_stored_index(contracts: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
    corpus = load_corpus(contracts)
    first = scope.identity_index(corpus)
    assert list((tmp_path / "home" / "identity").glob("*.pickle"))
    scope._cache.clear()  # a new process: nothing in memory
    built = []
    real_init = scope.IdentityIndex.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(scope.IdentityIndex, "__init__", counting)
    second = scope.identity_index(corpus)
    assert built == []  # read from disk, not built
    assert second.match("What law governs the BCG agreement?").paths == ("a.txt",)
    assert second.idf == first.idf


def test_edited_document_or_broken_file_rebuilds(contracts: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
    scope._cache.clear()
    scope.identity_index(load_corpus(contracts))
    (contracts / "b.txt").write_text(
        "EMPLOYEE CONFIDENTIALITY AGREEMENT\n\nThis Agreement is made between Initech Inc. and the Employee.\n"
    )
    scope._cache.clear()
    edited = scope.identity_index(load_corpus(contracts))
    assert edited.match("the Initech agreement").paths == ("b.txt",)  # the new party, not a stale index
    for stored in (tmp_path / "home" / "identity").glob("*.pickle"):
        stored.write_bytes(b"not a pickle")
    assert identity_cache.cached("key", lambda: "rebuilt") == "rebuilt"
    scope._cache.clear()
    assert scope.identity_index(load_corpus(contracts)).match("the Initech agreement").paths == ("b.txt",)


def test_cache_off_keeps_nothing(contracts: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCINTEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCINTEL_INGEST_CACHE", "0")
    scope._cache.clear()
    scope.identity_index(load_corpus(contracts))
    assert not (tmp_path / "home" / "identity").exists()
