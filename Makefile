# Both targets bootstrap a local virtualenv from a fresh clone; only python3 (>= 3.11) and make are needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check fuzz lint typecheck bench clean venv

# Byte-code caches are kept even where the environment turns them off (PYTHONDONTWRITEBYTECODE):
# without them every process the tests start (a few hundred) compiles zql/ again, and every
# pytest worker rewrites the test modules' asserts again.
unexport PYTHONDONTWRITEBYTECODE

# Test workers: 2 pays on 2 cores (see README, Development); WORKERS=0 runs in one process.
# worksteal hands each worker a contiguous half (a module's shared fixtures are set up once) and
# moves tests from the busy worker to the idle one at the end: 120 s against loadgroup's 141 s.
WORKERS ?= 2
XDIST = $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist worksteal)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m zql.demo

test: $(STAMP)
	$(BIN)/ruff check zql repl tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python -m pytest $(XDIST) --cov --cov-report=term:skip-covered

# The edit loop: lint and the in-process tests, no coverage, no processes or terminals.
check: $(STAMP)
	$(BIN)/ruff check zql repl tests bench
	$(BIN)/python -m pytest -q -p no:cacheprovider $(XDIST) -m "not slow and not terminal and not subprocess"

# The property tests alone, each at 4x its budget (16x what `make test` draws: tests/property_budget.py).
fuzz: $(STAMP)
	ZQL_FUZZ_SCALE=$(or $(SCALE),4) $(BIN)/python -m pytest -q -p no:cacheprovider $(XDIST) -m property

lint: $(STAMP)
	$(BIN)/ruff check zql repl tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
