# docintel: `make demo` installs and answers a question on a sample corpus; `make test` runs the whole suite.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned to the CPU build (a plain `torch` pulls a multi-GB CUDA build on machines without a GPU).
TORCH ?= torch==2.13.0

.PHONY: install install-dev demo test lint vllm-env clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q $(TORCH) -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q $(TORCH) -e '.[dev,llamacpp]'

demo: install
	$(BIN)/docintel ask examples/contract "Which law governs this agreement?"

vllm-env:
	bash scripts/setup-vllm-env.sh

test: install-dev vllm-env
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy docintel routers ingest tui

clean:
	rm -rf $(VENV) .venvs build *.egg-info
