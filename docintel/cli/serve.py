"""``docintel serve vllm --model MODEL``: run a supervised vLLM server until Ctrl-C or SIGTERM, then stop it cleanly."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

import typer

serve_app = typer.Typer(help="Run a local model server that docintel's backends talk to.", no_args_is_help=True)


def vllm(
    model: str = typer.Option(..., "--model", help="A Hugging Face model id or a local model directory."),
    max_model_len: int | None = typer.Option(
        None, "--max-model-len", help="The context window to serve (default: the model's)."
    ),
    gpu_memory_utilization: float | None = typer.Option(
        None, "--gpu-memory-utilization", help="Fraction of GPU memory vLLM may use (GPU only; vLLM's default 0.9)."
    ),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep 127.0.0.1 unless you mean it)."),
    startup_timeout: float = typer.Option(900.0, "--startup-timeout", help="Seconds to wait for /health."),
) -> None:
    """Start vLLM's OpenAI-compatible server with prefix caching, wait until healthy, print its base URL."""
    from docintel.cli.output import err_console
    from docintel.errors import BackendError
    from docintel.serve import ServeOptions, VLLMServer

    def _terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds through the context manager, which stops the server

    signal.signal(signal.SIGTERM, _terminate)
    options = ServeOptions(
        model=model, host=host, port=port, max_model_len=max_model_len, gpu_memory_utilization=gpu_memory_utilization
    )
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
