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

.PHONY: run test test-postgres test-extra-article lint lint-openapi client-typescript typecheck check load lock chromium node clean coverage soak bench wrk

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

# axe-core, which the reader page's accessibility test injects into Chromium: pinned in tests/browser.
AXE := tests/browser/node_modules/.package-lock.json
$(AXE): tests/browser/package-lock.json
	@$(MAKE) --no-print-directory node
	cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

test: $(INSTALLED) chromium $(AXE)  ## the whole test suite, including the docs and reader pages in headless Chromium
	$(BIN)/python -m pytest

test-postgres: $(INSTALLED) chromium $(AXE)  ## the same suite against PostgreSQL (a local cluster, installed and started if needed)
	ARTICLE_FACTS_TEST_DATABASE_URL="$${ARTICLE_FACTS_TEST_DATABASE_URL:-$$(.ci/postgres)}" $(BIN)/python -m pytest

test-extra-article: $(INSTALLED) chromium $(AXE)  ## the suite on a scratch copy whose seeds/ gained a generated article: curators cannot break tests
	@scratch="$$(mktemp -d)" && git ls-files -z | xargs -0 cp --parents -t "$$scratch" \
	&& cp -r tests/browser/node_modules "$$scratch/tests/browser/" \
	&& $(BIN)/python -m tests.extra_article "$$scratch/seeds" \
	&& cd "$$scratch" && $(CURDIR)/$(BIN)/python -m pytest -q -p no:cacheprovider; \
	status=$$?; rm -rf "$$scratch"; exit $$status

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The OpenAPI document, linted by Redocly CLI (recommended rules) and Spectral (spectral:oas), both pinned in
# tools/openapi-lint/package-lock.json; what either still reports fails (a rule turned off says why in its config).
LINT_OPENAPI := tools/openapi-lint
$(LINT_OPENAPI)/node_modules/.package-lock.json: $(LINT_OPENAPI)/package-lock.json
	@$(MAKE) --no-print-directory node
	cd $(LINT_OPENAPI) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

lint-openapi: $(INSTALLED) $(LINT_OPENAPI)/node_modules/.package-lock.json  ## lint the OpenAPI document
	$(BIN)/python -m tools.openapi $(LINT_OPENAPI)/openapi.json
	cd $(LINT_OPENAPI) && npx --no-install redocly lint openapi.json --config redocly.yaml --max-problems 50
	cd $(LINT_OPENAPI) && npx --no-install spectral lint openapi.json --ruleset .spectral.yaml --fail-severity warn

# The typed TypeScript client (clients/typescript): types generated from the OpenAPI document must match the
# committed ones, the code compiles under tsc --strict, and its example runs against a live server.
TS_CLIENT := clients/typescript
$(TS_CLIENT)/node_modules/.package-lock.json: $(TS_CLIENT)/package-lock.json
	@$(MAKE) --no-print-directory node
	cd $(TS_CLIENT) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

client-typescript: $(INSTALLED) $(TS_CLIENT)/node_modules/.package-lock.json  ## check the TypeScript client
	$(BIN)/python -m tools.openapi $(TS_CLIENT)/openapi.json
	cd $(TS_CLIENT) && npm run --silent generate && git diff --exit-code -- src/schema.d.ts
	cd $(TS_CLIENT) && npx --no-install tsc --strict --noEmit -p . && npx --no-install tsc -p .
	$(BIN)/python -m tools.with_server node $(TS_CLIENT)/build/example.js {base}

node:  ## Debian's Node.js and npm, for the OpenAPI linters
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

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
	rm -rf $(VENV) $(BENCH_VENV) data .pytest_cache .mypy_cache .ruff_cache $(LINT_OPENAPI)/node_modules tests/browser/node_modules $(TS_CLIENT)/node_modules $(TS_CLIENT)/build

coverage: $(INSTALLED) chromium $(AXE)  ## the test suite under coverage, with a report
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report --skip-covered
