"""The background process (docintel.cli.daemon), through the real ``docintel`` command in subprocesses.

The first question runs in its own process and starts the background one; later questions are handed to it (the
log says so) and must print what a process of their own prints, see file edits, keep their exit status and error
line, and stop it on request or when idle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

QUESTION = "What law governs the agreement?"


def _docintel(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docintel", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _served(home: Path) -> list[str]:
    log = home / "daemon.log"
    return [line for line in log.read_text().splitlines() if " ask: exit " in line] if log.exists() else []


def _wait(predicate, timeout: float = 120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    root.mkdir()
    (root / "supply.txt").write_text(
        "SUPPLY AGREEMENT\n\nThis Supply Agreement is made between Acme Widgets LLC and Globex Corporation.\n\n"
        "1. Delivery. Supplier shall deliver the goods within thirty (30) days of each order.\n\n"
        "2. Governing Law. This Agreement shall be governed by the laws of the State of Delaware.\n\n"
        "3. Term. This Agreement remains in force for two (2) years.\n"
    )
    return root


def _answer(result: subprocess.CompletedProcess[str]) -> tuple[str, list[str]]:
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data["answer"], [c["label"] for c in data["citations"]]


def test_questions_go_to_the_background_process(contract: Path, tmp_path: Path, docintel_home: Path) -> None:
    env = {**os.environ, "DOCINTEL_DAEMON": "1", "DOCINTEL_DAEMON_IDLE": "120"}
    alone = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], {**env, "DOCINTEL_DAEMON": "0"}, tmp_path)
    expected = _answer(alone)
    assert "Delaware" in expected[0]
    try:
        first = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        assert _answer(first) == expected
        assert _served(docintel_home) == []  # run here; the background process starts after it
        assert _wait(lambda: _docintel(["serve", "status"], env, tmp_path).returncode == 0), "never started"

        second = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        assert _answer(second) == expected
        assert len(_served(docintel_home)) == 1

        # an edited file is read again: the kept corpus is not served stale
        text = (contract / "supply.txt").read_text().replace("State of Delaware", "State of Oregon")
        (contract / "supply.txt").write_text(text)
        edited = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        answer, _ = _answer(edited)
        assert "Oregon" in answer and "Delaware" not in answer
        assert len(_served(docintel_home)) == 2

        # a user error keeps its exit status and its one line, and the caller's working folder counts
        missing = _docintel(["ask", "no-such-folder", QUESTION], env, tmp_path)
        local = _docintel(["ask", "no-such-folder", QUESTION], {**env, "DOCINTEL_DAEMON": "0"}, tmp_path)
        assert missing.returncode == local.returncode != 0
        assert missing.stderr.strip() == local.stderr.strip()
        assert missing.stderr.startswith("docintel: error: path not found") and "Traceback" not in missing.stderr
        relative = _docintel(["ask", contract.name, QUESTION, "--json", "--quiet"], env, contract.parent)
        assert "Oregon" in _answer(relative)[0]  # "contracts" read from the caller's folder, not the process's
        assert len(_served(docintel_home)) == 4
    finally:
        stopped = _docintel(["serve", "stop"], env, tmp_path)
    assert stopped.stdout.strip() == "stopped"
    assert _wait(lambda: _docintel(["serve", "status"], env, tmp_path).returncode == 1, timeout=30)


def test_idle_process_stops_and_off_switch(contract: Path, tmp_path: Path, docintel_home: Path) -> None:
    env = {**os.environ, "DOCINTEL_DAEMON": "1", "DOCINTEL_DAEMON_IDLE": "1"}
    assert _docintel(["ask", str(contract), QUESTION, "--quiet"], env, tmp_path).returncode == 0
    log = docintel_home / "daemon.log"
    assert _wait(lambda: log.exists() and "idle: stopping" in log.read_text(), timeout=120), (
        log.read_text() if log.exists() else "no log"
    )
    assert _docintel(["serve", "status"], env, tmp_path).returncode == 1
    off = {**env, "DOCINTEL_DAEMON": "0"}
    assert _docintel(["ask", str(contract), QUESTION, "--quiet"], off, tmp_path).returncode == 0
    time.sleep(1.0)
    assert log.read_text().count("serving ") == 1  # DOCINTEL_DAEMON=0 started nothing


def test_caller_leaving_interrupts_its_command_and_busy_process_is_bypassed(
    contract: Path, tmp_path: Path, docintel_home: Path
) -> None:
    """A question to a server that never answers (a localhost socket that accepts and stays silent) holds the
    background process; Ctrl-C on the caller interrupts that command there (exit 130 in the log) and the process
    lives on; a question asked meanwhile runs in its own process instead of waiting."""
    import signal
    import socket
    import threading

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: [held.append(silent.accept()[0]) for _ in range(8)], daemon=True).start()
    port = silent.getsockname()[1]
    env = {**os.environ, "DOCINTEL_DAEMON": "1", "DOCINTEL_DAEMON_IDLE": "120"}
    try:
        assert _docintel(["ask", str(contract), QUESTION, "--quiet"], env, tmp_path).returncode == 0
        assert _wait(lambda: _docintel(["serve", "status"], env, tmp_path).returncode == 0), "never started"
        vllm = ["--backend", "vllm", "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m", "--timeout", "120"]
        slow = subprocess.Popen(
            [sys.executable, "-m", "docintel", "ask", str(contract), QUESTION, "--quiet", *vllm],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # as from a terminal: a test run in a background job would otherwise pass on SIGINT ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert _wait(lambda: bool(held), timeout=60), "the question never reached the silent server"
        meanwhile = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        assert "Delaware" in _answer(meanwhile)[0]
        assert len(_served(docintel_home)) == 0  # the busy process did not take it: it ran in its own process
        slow.send_signal(signal.SIGINT)
        _, err = slow.communicate(timeout=60)
        assert slow.returncode == 130 and "interrupted" in err
        assert _wait(lambda: any("ask: exit 130" in line for line in _served(docintel_home)), timeout=60)
        again = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        assert "Delaware" in _answer(again)[0]
        assert any("ask: exit 0" in line for line in _served(docintel_home))  # still serving
    finally:
        _docintel(["serve", "stop"], env, tmp_path)
        silent.close()
        for conn in held:
            conn.close()


def test_serve_index_in_the_foreground(contract: Path, tmp_path: Path, docintel_home: Path) -> None:
    """`docintel serve index` serves questions until Ctrl-C, then removes its socket; a second one says the address
    is taken and exits."""
    import signal

    env = {**os.environ, "DOCINTEL_DAEMON": "1", "DOCINTEL_DAEMON_IDLE": "120"}
    server = subprocess.Popen(
        [sys.executable, "-m", "docintel", "serve", "index"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert _wait(lambda: _docintel(["serve", "status"], env, tmp_path).returncode == 0), "never started"
        second = _docintel(["serve", "index"], env, tmp_path)
        assert second.returncode == 0 and "already serves" in second.stderr
        asked = _docintel(["ask", str(contract), QUESTION, "--json", "--quiet"], env, tmp_path)
        assert "Delaware" in _answer(asked)[0]
        assert len(_served(docintel_home)) == 1
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
        assert server.returncode == 0
        assert _docintel(["serve", "status"], env, tmp_path).returncode == 1
    finally:
        if server.poll() is None:
            server.kill()
