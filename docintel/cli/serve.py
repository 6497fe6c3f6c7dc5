"""``docintel serve vllm --model MODEL``: run a supervised vLLM server until Ctrl-C or SIGTERM, then stop it cleanly.

One GPU, several GPUs of one node (tensor parallel), or several nodes (pipeline parallel over a Ray cluster): all of it
is vLLM's own engine; docintel builds the command line, checks it before anything loads, and supervises the process.
"""

from __future__ import annotations

import enum
import signal
import sys
import time
from types import FrameType
from typing import Annotated

import typer

serve_app = typer.Typer(help="Run a local model server that docintel's backends talk to.", no_args_is_help=True)


class Executor(enum.StrEnum):
    mp = "mp"
    ray = "ray"


class KVCacheDtype(enum.StrEnum):
    auto = "auto"
    bfloat16 = "bfloat16"
    fp8 = "fp8"
    fp8_e4m3 = "fp8_e4m3"
    fp8_e5m2 = "fp8_e5m2"


def vllm(
    model: Annotated[str, typer.Option("--model", help="A Hugging Face model id or a local model directory.")],
    max_model_len: Annotated[
        int | None, typer.Option("--max-model-len", help="The context window to serve (default: the model's).")
    ] = None,
    gpu_memory_utilization: Annotated[
        float | None,
        typer.Option(
            "--gpu-memory-utilization", help="Fraction of GPU memory vLLM may use (GPU only; vLLM's default 0.9)."
        ),
    ] = None,
    tensor_parallel_size: Annotated[
        int, typer.Option("--tensor-parallel-size", "--tp", help="GPUs each layer is split over (within one node).")
    ] = 1,
    pipeline_parallel_size: Annotated[
        int, typer.Option("--pipeline-parallel-size", "--pp", help="Pipeline stages the layers are split over (nodes).")
    ] = 1,
    distributed_executor: Annotated[
        Executor | None,
        typer.Option(
            "--distributed-executor",
            help="mp: worker processes on this node; ray: workers across the nodes of a Ray cluster.",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Join an existing Ray cluster (ray://head:10001 or head:6379); implies --distributed-executor ray.",
        ),
    ] = None,
    kv_cache_dtype: Annotated[
        KVCacheDtype, typer.Option("--kv-cache-dtype", help="KV-cache precision; fp8 halves KV memory per token.")
    ] = KVCacheDtype.auto,
    prefix_caching: Annotated[
        bool,
        typer.Option(
            "--prefix-caching/--no-prefix-caching",
            help="Reuse the KV cache of a repeated prompt prefix (docintel's corpus prefix); on by default.",
        ),
    ] = True,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (keep 127.0.0.1 unless you mean it).")
    ] = "127.0.0.1",
    startup_timeout: Annotated[float, typer.Option("--startup-timeout", help="Seconds to wait for /health.")] = 900.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the vLLM command line (checked) and exit without starting it.")
    ] = False,
) -> None:
    """Start vLLM's OpenAI-compatible server with prefix caching, wait until healthy, print its base URL.

    Behind a load balancer with several replicas, a prefix-cache hit needs the same corpus to reach the same
    replica: docintel's vLLM backend sends the corpus prefix hash in the X-Docintel-Prefix header for session
    affinity (see docs/scaling.md).
    """
    from docintel.cli.output import err_console
    from docintel.errors import BackendError
    from docintel.serve import ServeOptions, VLLMServer, build_command, find_vllm_python

    options = ServeOptions(
        model=model,
        host=host,
        port=port,
        max_model_len=max_model_len,
        gpu_memory_utilization=gpu_memory_utilization,
        tensor_parallel_size=tensor_parallel_size,
        pipeline_parallel_size=pipeline_parallel_size,
        distributed_executor=distributed_executor.value if distributed_executor else None,
        ray_address=ray_address,
        kv_cache_dtype=kv_cache_dtype.value,
        prefix_caching=prefix_caching,
    )
    if dry_run:
        try:
            python = find_vllm_python()
        except Exception:  # a dry run only shows the command: name the interpreter it would need
            python = "python"  # type: ignore[assignment]
        print(" ".join(build_command(python, options)))
        return

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds through the context manager, which stops the server

    signal.signal(signal.SIGTERM, _terminate)
    server = VLLMServer(options, startup_timeout_s=startup_timeout)
    err_console.print(f"starting vLLM: {' '.join(server.command)}")
    err_console.print(f"server log: {server.log_path}")
    try:
        with server:
            print(server.base_url, flush=True)  # stdout carries only the URL, for scripts
            err_console.print(
                f"vLLM serves {model} at {server.base_url}; use `--backend vllm --base-url {server.base_url}`. "
                "Ctrl-C stops it."
            )
            while server.process is not None and server.process.poll() is None:
                time.sleep(0.5)
            code = server.process.returncode if server.process is not None else None
            raise BackendError(f"vLLM server exited with code {code}; last log lines:\n{server.log_tail()}")
    except KeyboardInterrupt:
        err_console.print("vLLM server stopped")
        sys.exit(0)


def register(app: typer.Typer) -> None:
    serve_app.command("vllm")(vllm)
    app.add_typer(serve_app, name="serve")
