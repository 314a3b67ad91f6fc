# Two entry points: `make run` (plan the embedded Korean scenario) and `make test`;
# `make test-fast` is the everyday subset (slow tests deselected, under 2 minutes).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast check bench clean

$(BIN)/aifab: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(BIN)/aifab

run: $(BIN)/aifab
	$(BIN)/aifab plan

test: $(BIN)/aifab
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: $(BIN)/aifab
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -m "not slow" -x

bench: $(BIN)/aifab
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
