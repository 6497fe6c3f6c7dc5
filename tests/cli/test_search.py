"""``docintel index`` and ``docintel search`` end to end (real model, real index files under DOCINTEL_HOME)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from docintel.cli.main import app


def _corpus(root: Path) -> Path:
    root.mkdir()
    (root / "auth.py").write_text(
        "def getUserName(request):\n"
        '    """The display name of the logged-in user."""\n'
        "    return request.session['user'].display_name\n"
    )
    (root / "terms.txt").write_text(
        "1. Term\n\nThis agreement starts on signature.\n\n"
        "2. Termination\n\nEither party may terminate this agreement with thirty days written notice.\n"
    )
    return root


def test_index_then_search_json(tmp_path: Path, docintel_home: Path) -> None:
    root = _corpus(tmp_path / "corpus")
    runner = CliRunner()
    result = runner.invoke(app, ["index", str(root), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added_files"] == 2 and report["embedded_chunks"] == report["total_chunks"] >= 2
    assert Path(report["directory"]).is_relative_to(docintel_home)  # never inside the corpus
    assert sorted(p.name for p in root.iterdir()) == ["auth.py", "terms.txt"]

    result = runner.invoke(app, ["search", str(root), "user name", "--k", "2", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    top = hits[0]
    assert top["path"] == "auth.py" and top["start_line"] == 1 and top["end_line"] == 3
    assert top["name"] == "getUserName"
    text = (root / "auth.py").read_text()
    assert text[top["start"] : top["end"]] == top["text"]
    assert {"path", "start", "end", "start_line", "end_line", "score", "text"} <= set(top)

    result = runner.invoke(app, ["search", str(root), "how can the contract be ended?", "--mode", "lexical", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["hits"] == []  # no shared words: BM25 alone finds nothing
    result = runner.invoke(app, ["search", str(root), "how can the contract be ended?", "--mode", "vector", "--json"])
    assert "terminate this agreement" in json.loads(result.stdout)["hits"][0]["text"]


def test_search_builds_index_on_first_use_and_prints_hits(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "corpus")
    result = CliRunner().invoke(app, ["search", str(root), "terminate with notice", "--k", "1"])
    assert result.exit_code == 0, result.output
    assert "terms.txt:" in result.stdout and "score" in result.stdout
    assert "thirty days written notice" in result.stdout
    # the second run finds the index up to date
    again = CliRunner().invoke(app, ["index", str(root)])
    assert "0 added, 0 changed, 0 removed, 2 unchanged files" in again.stdout


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from docintel.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_mode_is_a_usage_error_and_missing_path_a_one_line_error(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "corpus")
    bad_mode = _run("search", str(root), "x", "--mode", "semantic")
    assert bad_mode.returncode == 2 and "Traceback" not in bad_mode.stderr
    assert "'semantic' is not one of" in " ".join(bad_mode.stderr.split())
    missing = _run("search", str(tmp_path / "nope"), "x")
    assert missing.returncode == 1
    assert missing.stderr.startswith("docintel: error: ") and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_help_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from docintel.cli.main import app\n"
        "r = CliRunner().invoke(app, ['search', '--help'])\n"
        "assert r.exit_code == 0 and '--mode' in r.stdout, r.stdout\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'bm25s') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
