"""Progress reporting when stderr is not a terminal (scripts, CI, agents' shells), and --quiet."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docintel.progress import plain_line, progress, set_quiet


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_every_interval_with_rate_eta_and_a_last_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCINTEL_QUIET", raising=False)
    clock, out = FakeClock(), io.StringIO()
    with progress("Embedding", unit="chunks", interval_s=5.0, stream=out, terminal=False, clock=clock) as update:
        for done in range(0, 1001, 50):  # 50 chunks per second of the fake clock
            update(done, 1000, f"src/file_{done}.py")
            clock.now += 1.0
    lines = out.getvalue().splitlines()
    # one line per 5 s of a 21 s run, then the closing line
    assert lines[0] == "docintel: Embedding 250/1,000 chunks (25%), 50.0 chunks/s, ETA 15s, src/file_250.py"
    assert len(lines) == 5 and lines[1].startswith("docintel: Embedding 500/1,000 chunks (50%)")
    assert lines[-1] == "docintel: Embedding 1,000/1,000 chunks in 21s"


def test_a_short_step_prints_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCINTEL_QUIET", raising=False)
    clock, out = FakeClock(), io.StringIO()
    with progress("Reading", interval_s=5.0, stream=out, terminal=False, clock=clock) as update:
        for done in range(10):
            update(done, 10)
            clock.now += 0.1
    assert out.getvalue() == ""


def test_quiet_silences_plain_lines_and_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCINTEL_QUIET", raising=False)
    set_quiet()
    try:
        for terminal in (False, True):
            clock, out = FakeClock(), io.StringIO()
            with progress("Embedding", interval_s=0.0, delay_s=0.0, stream=out, terminal=terminal, clock=clock) as up:
                clock.now += 10
                up(5, 10)
            assert out.getvalue() == ""
    finally:
        set_quiet(False)


def test_eta_formats() -> None:
    assert plain_line("Parsing", "files", 0, 10, 0.0) == "docintel: Parsing 0/10 files (0%)"
    assert plain_line("Parsing", "files", 10, 4010, 1.0).endswith("10.0 files/s, ETA 6m40s")


def test_cli_index_prints_plain_progress_lines_and_quiet_removes_them(tmp_path: Path, hash_embedder: str) -> None:
    """The real command in a subprocess, stderr a pipe (not a terminal): plain lines for reading and embedding;
    ``--quiet`` (after the command, as users type it) leaves stderr empty and stdout unchanged."""
    root = tmp_path / "corpus"
    root.mkdir()
    for n in range(5):
        (root / f"note_{n}.md").write_text(f"# Note {n}\n\nThe zebra count for region {n} is {n * 7}.\n")
    env = {**os.environ, "DOCINTEL_PROGRESS_INTERVAL": "0"}
    env.pop("DOCINTEL_QUIET", None)
    # hash_embedder registers the fake embedder in this process only: index with the default embedder there
    env.pop("DOCINTEL_EMBEDDER", None)
    fake_module = Path(__file__).resolve().parent.parent / "fake_embedder.py"
    code = (
        "import importlib.util, sys; from docintel.index import embedder; "
        f"spec = importlib.util.spec_from_file_location('fake_embedder', {str(fake_module)!r}); "
        "m = importlib.util.module_from_spec(spec); sys.modules['fake_embedder'] = m; spec.loader.exec_module(m); "
        "embedder.REGISTRY['test-hash'] = 'fake_embedder:HashEmbedder'; import os; "
        "os.environ['DOCINTEL_EMBEDDER'] = 'test-hash'; from docintel.cli.main import main; main()"
    )
    loud = subprocess.run(
        [sys.executable, "-c", code, "index", str(root)], env=env, capture_output=True, text=True, timeout=300
    )
    assert loud.returncode == 0, loud.stderr
    lines = loud.stderr.splitlines()
    assert any(line.startswith("docintel: Reading ") and " files" in line for line in lines), lines
    assert any(line.startswith("docintel: Embedding ") and " chunks" in line for line in lines), lines
    (root / "note_0.md").write_text("# Note 0\n\nThe zebra count changed.\n")
    quiet = subprocess.run(
        [sys.executable, "-c", code, "index", str(root), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "chunks in the index" in quiet.stdout


def test_terminal_bar_appears_within_the_delay_without_another_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step that reports once and then works silently (a long walk, one big file) still shows its bar."""
    import time

    monkeypatch.delenv("DOCINTEL_QUIET", raising=False)
    out = io.StringIO()
    with progress("Walking", unit="files", delay_s=0.05, stream=out, terminal=True) as update:
        update(0, 0, "")
        time.sleep(0.5)
        shown = out.getvalue()
    assert "Walking" in shown
    quick = io.StringIO()
    with progress("Instant", delay_s=5.0, stream=quick, terminal=True) as update:
        update(1, 1)
    assert quick.getvalue() == ""  # a step shorter than the delay draws nothing
