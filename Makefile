# Two entry points: `make run` (plan the embedded Korean scenario) and `make test`;
# `make test-fast` is the everyday subset (slow tests deselected, under 2 minutes).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pytest on TEST_WORKERS processes (pytest-xdist; 2 = the CI machine's cores). Tests that
# share a costly fixture or a local Ray run on one worker (tests/conftest.py). One BLAS/OpenMP
# thread per process, so two workers do not oversubscribe 2 cores. TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2
# Bytecode is cached (__pycache__, git-ignored) also where the environment sets
# PYTHONDONTWRITEBYTECODE: the two workers and the CLI tests' subprocesses then compile aifab
# and pytest's rewritten test modules once, not once per process (collection 17 s -> 7 s).
PYTEST := PYTHONDONTWRITEBYTECODE= \
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest \
	-n $(TEST_WORKERS) --dist loadgroup

.PHONY: run test test-fast check bench clean

# The venv's packages are installed by uv (itself from PyPI, installed by pip): the same
# versions from PyPI as pip resolves, several times faster (docs/benchmarks.md: 113 -> 34 s,
# bytecode compiled). Where uv cannot be installed or fails (no route to PyPI but a mirror
# set in pip's own configuration, which uv does not read), pip installs them as before.
$(BIN)/aifab: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	( $(BIN)/python -m pip install -q uv \
	  && $(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]' ) \
	|| $(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(BIN)/aifab

run: $(BIN)/aifab
	$(BIN)/aifab plan

# mypy runs beside pytest (its report is printed when both are done; either failing fails
# the target): pytest's workers leave a core part idle while they wait on browsers, servers
# and subprocesses, and mypy's 50 s then cost CI about 10-15 s of wall (docs/benchmarks.md).
test: $(BIN)/aifab
	$(BIN)/ruff check src tests benchmarks
	@$(BIN)/mypy > $(VENV)/mypy.out 2>&1 & mypy=$$!; \
	echo "mypy: running beside pytest (report below when both are done)"; \
	$(PYTEST); rc=$$?; wait $$mypy; m=$$?; \
	echo "$(BIN)/mypy"; cat $(VENV)/mypy.out; \
	if [ $$m -ne 0 ]; then exit $$m; fi; exit $$rc

test-fast: $(BIN)/aifab
	$(BIN)/ruff check src tests benchmarks
	$(PYTEST) -m "not slow" -x

bench: $(BIN)/aifab
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
