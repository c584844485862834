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

.PHONY: help setup run generate build summary test lint infra-check format bench docs docs-static segment mutation clean

help:
	@echo "make run    - set up, generate $(USERS) users into $(RAW_DATA_DIR), dbt build on DuckDB, print a summary"
	@echo "make test   - every check: lint, Python tests, dbt build with all dbt tests on small data"
	@echo "make lint   - sqlfluff on models/, ruff on Python"
	@echo "make infra-check - terraform fmt/validate/plan offline and checkov on infra/"
	@echo "make docs   - generate the dbt docs site and serve it on http://127.0.0.1:$(PORT) (PORT=...)"
	@echo "make docs-static - the docs site as one HTML file, target/static_index.html, no server needed"
	@echo "make segment - k-means segments of customer_features into customer_segments, chart docs/segments.png"
	@echo "make mutation - apply plausible one-line SQL mistakes one at a time (in a copy) and report which the fast suite misses"
	@echo "make bench  - dbt against one DuckDB query and pandas at 100k and 1M users (BENCH_FLAGS=--with-10m)"

# The virtual environment, with every pinned dependency from pyproject.toml.
setup: $(VENV)/.installed profiles.yml

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

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
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	DUCKDB_PATH=:memory: $(BIN)/sqlfluff lint models tests/marts analyses

format: setup
	$(BIN)/ruff format src tests bench
	DUCKDB_PATH=:memory: $(BIN)/sqlfluff fix models tests/marts analyses

# Terraform fmt/init/validate/plan (offline) and checkov, in its own virtual environment.
infra-check:
	bash infra/check.sh

test: setup lint infra-check
	$(BIN)/pytest

# Not part of `make test`: each mistake of tests/mutation/mutations.py against the fast suite, in a
# temporary copy of the project (MUTATION_FLAGS="--only window" for a subset); see docs/testing.md.
mutation: setup
	$(BIN)/python tests/mutation/run_mutations.py $(MUTATION_FLAGS)

# Benchmarks, not tests: writes docs/benchmarks.md and docs/benchmarks.png (data in data/bench).
bench: setup
	$(BIN)/python bench/run_bench.py --users 100000,1000000 $(BENCH_FLAGS)

# The docs read the built warehouse for column types; run `make build` first for a complete site.
docs: setup
	mkdir -p $(dir $(DUCKDB_PATH))
	$(BIN)/dbt docs generate
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $(PORT) --no-browser

docs-static: setup
	mkdir -p $(dir $(DUCKDB_PATH))
	$(BIN)/dbt docs generate --static
	@echo "open target/static_index.html in a browser"

# Reads customer_features from $(DUCKDB_PATH), writes customer_segments there (SEGMENT_FLAGS=--seed 1 ...).
segment: setup
	$(BIN)/customer-mart segment $(SEGMENT_FLAGS)

clean:
	rm -rf target logs data
