# The two commands a new user needs: `make run` (serve the API) and `make test` (the whole suite).
# Each creates the virtual environment and installs the locked dependencies itself: `make run` only what serving
# needs (requirements.lock), `make test` the tools too (requirements-dev.lock: runtime + PostgreSQL driver, test,
# lint and type-check tools).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
RUNTIME := $(VENV)/.installed-runtime
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Debian's own python3 keeps venv's pip bootstrap in a separate package.
ENSURE_VENV = $(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
# The app's bytecode, compiled once: Python would otherwise compile every module at each start wherever
# PYTHONDONTWRITEBYTECODE is set (as on our machines and in the Docker image), a third of serve's start-up.
COMPILE = $(BIN)/python -m compileall -q app

.PHONY: run test test-postgres test-extra-article lint typecheck check load lock chromium clean coverage soak bench wrk

$(RUNTIME): requirements.lock
	@$(ENSURE_VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements.lock
	$(COMPILE)
	touch $@

$(INSTALLED): requirements-dev.lock pyproject.toml
	@$(ENSURE_VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements-dev.lock
	$(PIP) --no-deps --no-build-isolation -e .
	$(COMPILE)
	touch $@

run: $(RUNTIME)  ## serve the API on http://127.0.0.1:8000 (builds the database first if needed)
	$(BIN)/python -m app.cli serve

test: $(INSTALLED) chromium  ## the whole test suite, including the docs page in headless Chromium
	$(BIN)/python -m pytest

test-postgres: $(INSTALLED) chromium  ## the same suite against PostgreSQL (a local cluster, installed and started if needed)
	ARTICLE_FACTS_TEST_DATABASE_URL="$${ARTICLE_FACTS_TEST_DATABASE_URL:-$$(.ci/postgres)}" $(BIN)/python -m pytest

test-extra-article: $(INSTALLED) chromium  ## the suite on a scratch copy whose seeds/ gained a generated article: curators cannot break tests
	@scratch="$$(mktemp -d)" && git ls-files -z | xargs -0 cp --parents -t "$$scratch" \
	&& $(BIN)/python -m tests.extra_article "$$scratch/seeds" \
	&& cd "$$scratch" && $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider; \
	status=$$?; rm -rf "$$scratch"; exit $$status

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

check: $(RUNTIME)  ## validate the seeds
	$(BIN)/python -m app.cli check

load: $(RUNTIME)  ## rebuild the database from the seeds
	$(BIN)/python -m app.cli load

lock: $(INSTALLED)  ## re-pin the dependencies after editing pyproject.toml (or benchmarks/requirements.in)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock
	$(BIN)/uv pip compile benchmarks/requirements.in --generate-hashes --python-version 3.11 -q -o benchmarks/requirements.lock

# Benchmark-only dependencies (Datasette, matplotlib) live in their own environment and lock.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: benchmarks/requirements.lock
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r benchmarks/requirements.lock
	touch $@

wrk:  ## Debian's wrk, the load generator of the benchmark
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(INSTALLED) $(BENCH_VENV)/.installed wrk  ## ours vs Datasette vs a bare ceiling (~25 min); BENCH_ARGS=--quick: ~5 min
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

chromium:  ## Debian's Chromium, for the browser test (tools that download their own browser fail offline)
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

DURATION ?= 300
soak: $(INSTALLED)  ## DURATION seconds at half the measured maximum rate, with reloads, watching memory and open files
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python benchmarks/soak.py --duration $(DURATION)

clean:
	rm -rf $(VENV) $(BENCH_VENV) data .pytest_cache .mypy_cache .ruff_cache

coverage: $(INSTALLED) chromium  ## the test suite under coverage, with a report
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report --skip-covered
