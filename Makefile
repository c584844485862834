# Thin wrappers over commands a user could type. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

USERS ?= 100000
SEED ?= 42
RAW_DATA_DIR ?= data/raw
DUCKDB_PATH ?= data/warehouse.duckdb
PORT ?= 8080
export RAW_DATA_DIR DUCKDB_PATH

.PHONY: help setup lock contract system-deps check run generate build summary test lint actionlint infra-check format bench docs docs-static segment mutation clean

help:
	@echo "make run    - set up, generate $(USERS) users into $(RAW_DATA_DIR), dbt build on DuckDB, print a summary"
	@echo "make test   - every check: lint, Python tests, dbt build with all dbt tests on small data"
	@echo "make check  - the fast loop: ruff, sqlfluff on changed SQL, dbt build on $(CHECK_USERS) users, reference check"
	@echo "make lint   - ruff, sqlfluff, dbt-score (project 9.5, each item 9.0), actionlint"
	@echo "make contract - regenerate src/customer_mart/raw_contract.py after changing the raw contract (the sources YAML)"
	@echo "make lock   - refresh requirements.lock (every package, with hashes) after changing pyproject.toml"
	@echo "make infra-check - terraform fmt/validate/plan offline and checkov on infra/"
	@echo "make docs   - generate the dbt docs site and serve it on http://127.0.0.1:$(PORT) (PORT=...)"
	@echo "make docs-static - the docs site as one HTML file, target/static_index.html, no server needed"
	@echo "make segment - this week's customer segments into customer_segment_history (DuckDB); charts in target/segments/"
	@echo "make mutation - apply plausible one-line SQL mistakes one at a time (in a copy) and report which the fast suite misses"
	@echo "make bench  - dbt against one DuckDB query and pandas at 100k and 1M users (BENCH_FLAGS=--with-10m)"

# The virtual environment: every package, transitive ones included, at the version and hash of
# requirements.lock; then the project itself, editable, with nothing more.
setup: $(VENV)/.installed profiles.yml

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

# Refresh the locks after changing a pin in pyproject.toml (needs the package index; minutes):
# requirements.lock for development (make setup: every extra), requirements-runtime.lock for the
# image (the dependencies and the segment extra, scripts/runtime_lock.py).
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: setup
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra segment --extra analyst --extra dev -o requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python scripts/runtime_lock.py

# The raw data contract is the `data_type` of each column in the sources YAML; the Python package
# reads a module generated from it (a test fails while the two differ).
contract: setup
	$(BIN)/python scripts/raw_contract.py

# dbt reads ./profiles.yml when run from the project root; it is yours to edit once copied.
profiles.yml:
	cp profiles.yml.example $@

run: setup generate build summary

generate: setup
	$(BIN)/customer-mart generate --users $(USERS) --seed $(SEED) --out $(RAW_DATA_DIR)

build: setup
	mkdir -p $(dir $(DUCKDB_PATH))
	$(BIN)/dbt build

summary: setup
	$(BIN)/customer-mart summary

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	# The profiles compile per file format: the fixture's CSV files stand in for the raw data.
	# Macro files are skipped by the dbt templater: they are linted in the models and tests that render them.
	DUCKDB_PATH=:memory: RAW_DATA_DIR=tests/fixtures/official-sample-3k $(BIN)/sqlfluff lint models tests/marts tests/staging tests/monitoring tests/generic analyses
	DUCKDB_PATH=:memory: $(BIN)/dbt-score lint --run-dbt-parse --show failing-items
	$(BIN)/actionlint

# The pull-request workflow, checked offline (actionlint's binary ships in its PyPI wheel).
actionlint: setup
	$(BIN)/actionlint

format: setup
	$(BIN)/ruff format src tests bench scripts
	DUCKDB_PATH=:memory: RAW_DATA_DIR=tests/fixtures/official-sample-3k $(BIN)/sqlfluff fix models tests/marts tests/staging tests/monitoring tests/generic analyses

# Terraform fmt/init/validate/plan (offline) and checkov, in its own virtual environment.
infra-check:
	bash infra/check.sh

# The Debian packages the tests need (PostgreSQL server, Chromium): installed as root on Debian,
# else the exact command is printed and those tests are skipped (CI=true: they fail).
system-deps:
	bash scripts/install-system-deps.sh

# pytest on TEST_WORKERS processes (pytest-xdist), each taking a whole test module at a time, so
# that a module's fixtures (servers, built warehouses) are made once. Serial: TEST_WORKERS=0.
TEST_WORKERS ?= 2
test: system-deps setup lint infra-check
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# The fast loop while changing a model: ruff, sqlfluff on the SQL changed since the last commit,
# then dbt build (every unit test and data test) on $(CHECK_USERS) generated users, and the mart
# compared with the independent reference (tests/python/check_mart.py). Not a substitute for
# `make test`.
CHECK_USERS ?= 2000
CHECK_DIR ?= data/check
CHECK_AS_OF ?= $(shell date -u +%F)
check: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	@changed=$$( { git diff --name-only HEAD -- models analyses tests/marts tests/staging; \
		git ls-files --others --exclude-standard -- models analyses tests/marts tests/staging; } | grep '\.sql$$' | sort -u ); \
	if [ -n "$$changed" ]; then echo "sqlfluff lint $$changed"; \
		DUCKDB_PATH=:memory: RAW_DATA_DIR=tests/fixtures/official-sample-3k $(BIN)/sqlfluff lint $$changed; else echo "sqlfluff: no changed SQL"; fi
	@# The sample is made for CHECK_AS_OF (its newest rows the day before), and made again for
	@# another day: the build's freshness guard stops on raw data more than a week old.
	test "$$(cat $(CHECK_DIR)/raw-made-for 2>/dev/null)" = "$(CHECK_AS_OF)" || { rm -rf $(CHECK_DIR)/raw && \
		$(BIN)/customer-mart generate --users $(CHECK_USERS) --seed $(SEED) --now $(CHECK_AS_OF) --out $(CHECK_DIR)/raw && \
		echo "$(CHECK_AS_OF)" > $(CHECK_DIR)/raw-made-for; }
	RAW_DATA_DIR=$(CHECK_DIR)/raw DUCKDB_PATH=$(CHECK_DIR)/warehouse.duckdb AS_OF_DATE=$(CHECK_AS_OF) $(BIN)/dbt build
	$(BIN)/python tests/python/check_mart.py $(CHECK_DIR)/raw $(CHECK_DIR)/warehouse.duckdb $(CHECK_AS_OF)

# Not part of `make test`: each mistake of tests/mutation/mutations.py against the fast suite, in a
# temporary copy of the project (MUTATION_FLAGS="--only window" for a subset); see docs/testing.md.
mutation: setup
	$(BIN)/python tests/mutation/run_mutations.py $(MUTATION_FLAGS)

# Benchmarks, not tests: writes docs/benchmarks.md and docs/benchmarks.png (data in data/bench).
bench: setup
	$(BIN)/pytest -q -m bench tests/python/test_bench_implementations.py
	$(BIN)/python bench/run_bench.py --users 100000,1000000 $(BENCH_FLAGS)

# The docs read the built warehouse for column types; run `make build` first for a complete site.
# The latest build's status (as_of_date, customers, checks: the run history's view
# customer_features_builds) goes on the overview and the mart's page, as in the weekly task.
docs: setup
	mkdir -p $(dir $(DUCKDB_PATH)) target
	$(BIN)/dbt --quiet run-operation build_status > target/build_status.json
	$(BIN)/dbt docs generate
	$(BIN)/python scripts/docs_build_status.py target/build_status.json target
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $(PORT) --no-browser

docs-static: setup
	mkdir -p $(dir $(DUCKDB_PATH)) target
	$(BIN)/dbt --quiet run-operation build_status > target/build_status.json
	$(BIN)/dbt docs generate --static
	$(BIN)/python scripts/docs_build_status.py target/build_status.json target
	@echo "open target/static_index.html in a browser"

# Reads customer_features from $(DUCKDB_PATH) (run `make build` first), writes the week's segments there
# (customer_segment_history, _profiles, _runs; customer_segments is the latest week) and draws
# target/segments/segments.png and segment_history.png, never a tracked file (SEGMENT_FLAGS=--seed 1 ...).
segment: setup
	$(BIN)/customer-mart segment $(SEGMENT_FLAGS)

clean:
	rm -rf target logs data
