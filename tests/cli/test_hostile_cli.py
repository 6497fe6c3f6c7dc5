"""Hostile input through the real ``docintel`` entry point (``cli.main.main``: the function the console script runs,
in-process so the embedding model loads once): an empty corpus and an empty question are usage errors (exit 2,
one line, nothing indexed), and a file name that is not UTF-8 round-trips through index, SQLite, search and ask."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from docintel.cli.main import main


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["docintel", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "args",
    [["index", "{root}"], ["search", "{root}", "termination"], ["ask", "{root}", "Who may terminate?"]],
    ids=["index", "search", "ask"],
)
def test_empty_corpus_is_a_usage_error_and_writes_no_index(
    tmp_path: Path,
    docintel_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    root = tmp_path / "empty"
    (root / "sub").mkdir(parents=True)
    (root / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    code, out, err = run_cli([a.format(root=root) for a in args], capsys, monkeypatch)
    assert code == 2
    assert out == ""
    assert err.startswith("docintel: error: no readable documents in ") and err.count("\n") == 1
    assert "1 binary" in err and "docintel stats" in err
    assert "Traceback" not in err
    assert files_under(docintel_home) == []  # no index half-written


def test_folder_with_nothing_at_all_says_it_is_empty(
    tmp_path: Path, docintel_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "nothing"
    root.mkdir()
    code, _out, err = run_cli(["index", str(root)], capsys, monkeypatch)
    assert code == 2 and "the folder is empty" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["ask", "plan", "pack"])
@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question_is_refused_at_once(
    tmp_path: Path,
    docintel_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    question: str,
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "terms.txt").write_text("Either party may terminate with thirty days notice.\n")
    code, out, err = run_cli([command, str(root), question], capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err.startswith("docintel: error: the question is empty") and err.count("\n") == 1
    assert files_under(docintel_home) == []  # refused before the corpus was read or indexed


def test_non_utf8_file_name_round_trips_through_index_search_and_ask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    with open(os.fsencode(root) + b"/bad\xff.txt", "wb") as f:
        f.write(b"The retention period for audit logs is seven years from the date of the audit.\n")
    (root / "other.txt").write_text("The office is closed on public holidays.\n")

    code, out, err = run_cli(["index", str(root), "--json"], capsys, monkeypatch)
    assert code == 0, err
    assert json.loads(out)["total_chunks"] >= 2
    for _ in range(2):  # the second run reads the chunks back from SQLite
        code, out, err = run_cli(["search", str(root), "audit log retention", "--json"], capsys, monkeypatch)
        assert code == 0, err
        hits = json.loads(out)["hits"]
        assert hits[0]["path"] == "bad\\xff.txt"
        assert "seven years" in hits[0]["text"]

    code, out, err = run_cli(["ask", str(root), "How long are audit logs retained?", "--json"], capsys, monkeypatch)
    assert code == 0, err
    answer = json.loads(out)
    assert "bad\\xff.txt" in {c["path"] for c in answer["citations"]}
    assert "Traceback" not in err


def test_corpus_folder_whose_name_is_not_utf8_indexes_and_searches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = os.fsdecode(os.fsencode(tmp_path) + b"/root\xff")
    os.mkdir(root)
    Path(root, "terms.txt").write_text("Audit logs are retained for seven years.\n")
    code, out, err = run_cli(["index", root, "--json"], capsys, monkeypatch)
    assert code == 0, err
    assert json.loads(out)["directory"].rsplit("/", 1)[-1].startswith("root\\xff-")  # state folder, escaped
    code, out, err = run_cli(["search", root, "audit logs", "--json"], capsys, monkeypatch)
    assert code == 0, err
    assert json.loads(out)["hits"][0]["path"] == "terms.txt"
