"""``docintel stats``: the JSON shape and values over a corpus built here, and the one-line error for a bad path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.tokens import count_tokens

CODE = "import os\n\n\ndef a():\n    return os.sep\n\n\ndef b():\n    return 2\n"
CODE_PIECES = ["import os\n\n\n", "def a():\n    return os.sep\n\n\n", "def b():\n    return 2\n"]
README = "# Sample\n\nA tiny corpus for the stats command.\n"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(CODE)
    (root / "README.md").write_text(README)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(100))
    (root / "yarn.lock").write_text("# yarn lockfile v1\n")
    (root / ".gitignore").write_text("dist/\n")
    (root / "dist").mkdir()
    (root / "dist" / "app.py").write_text("x = 1\n")
    return root


def test_stats_json_shape_and_values(corpus_dir: Path) -> None:
    result = CliRunner().invoke(app, ["stats", str(corpus_dir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stdout is only JSON
    code_tokens = sum(count_tokens(piece) for piece in CODE_PIECES)
    text_tokens = count_tokens(README)
    gitignore_tokens = count_tokens("dist/\n")
    assert data["documents"] == 3  # .gitignore, README.md, pkg/mod.py
    assert data["segments"] == 5
    assert data["by_kind"] == {
        "code": {"documents": 1, "segments": 3, "tokens": code_tokens},
        "text": {"documents": 2, "segments": 2, "tokens": text_tokens + gitignore_tokens},
    }
    assert data["tokens"] == code_tokens + text_tokens + gitignore_tokens
    assert data["by_language"]["python"] == {"documents": 1, "segments": 3, "tokens": code_tokens}
    assert data["skipped"] == [
        {"path": "dist/", "reason": "ignored by .gitignore"},
        {"path": "logo.png", "reason": "binary"},
        {"path": "yarn.lock", "reason": "lock file"},
    ]
    assert data["largest"][0] == {"path": "pkg/mod.py", "kind": "code", "tokens": code_tokens, "bytes": len(CODE)}


def test_stats_table_lists_counts_and_skips(corpus_dir: Path) -> None:
    result = CliRunner().invoke(app, ["stats", str(corpus_dir)])
    assert result.exit_code == 0
    assert "3 documents, 5 segments" in result.stdout
    assert "logo.png: binary" in result.stdout
    assert "yarn.lock: lock file" in result.stdout


def test_stats_max_file_mb_option(corpus_dir: Path) -> None:
    result = CliRunner().invoke(app, ["stats", str(corpus_dir), "--json", "--max-file-mb", "0.00005"])
    data = json.loads(result.stdout)
    reasons = {s["path"]: s["reason"] for s in data["skipped"]}
    assert reasons["pkg/mod.py"] == f"too large ({len(CODE)} B > 50 B)"
    assert data["documents"] == 2


def test_missing_path_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = subprocess.run(
        [sys.executable, "-m", "docintel", "stats", str(missing), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"docintel: error: path not found: {missing}\n"
