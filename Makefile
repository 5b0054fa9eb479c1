# Cadence: `make demo` on a fresh machine sets everything up and materialises the sample;
# `make test` runs the linters and the test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export CADENCE_HOME ?= $(CURDIR)/.cadence
PROFILE ?= small
SEED ?= 42
SAMPLE_DIR := $(CADENCE_HOME)/sample
# The generated sample comes with its known problem acknowledged (its outage day); a real
# landing has its own, or none.
ifeq ($(origin CADENCE_LANDING_DIR), undefined)
export CADENCE_ACKNOWLEDGEMENTS ?= $(SAMPLE_DIR)/acknowledgements.yml
endif
# The machine's Python, resolved before the virtualenv goes on PATH below: re-syncing after a
# dependency change must not pick the virtualenv's own python (it has neither pip nor uv).
HOST_PYTHON := $(shell command -v python3)
UV := $(HOST_PYTHON) -m uv
VENV := .venv
PY := $(VENV)/bin/python
DBT := $(CURDIR)/$(VENV)/bin/dbt
# dagster-dbt looks up `dbt` on PATH in places (`dagster dev` prepares the manifest with it).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup manifest generate run demo docs backfill rollback test lint pytest test-spark bench dev bi test-bi clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (this image sets it), every
# process would otherwise compile dagster, dbt and pandas from source on each start, about 6 s
# of the 1M daily run's 54 s and again in dbt's subprocess.
$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(HOST_PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

setup: $(VENV)/.synced  ## create the virtualenv from uv.lock

manifest: setup  ## parse the dbt project (Dagster reads its manifest)
	cd dbt_project && $(DBT) parse --profiles-dir . --quiet

generate: setup  ## generate the sample landing tree (PROFILE=small|large, SEED=42)
	rm -rf $(SAMPLE_DIR)
	$(PY) -m sources.generator --profile $(PROFILE) --seed $(SEED) --out $(SAMPLE_DIR)

run: manifest  ## materialise everything over $$CADENCE_LANDING_DIR into $$CADENCE_HOME (FULL=1: full rebuild; VERBOSE=1: dbt's output, every check)
	$(PY) -m orchestration.cli run $(if $(FULL),--full-refresh) $(if $(VERBOSE),--verbose)

demo: generate run docs  ## set up, generate the sample, materialise everything, print the summary

backfill: manifest  ## re-run landed days FROM..TO in one run, then publish (FROM=YYYY-MM-DD TO=YYYY-MM-DD)
	$(PY) -m orchestration.cli backfill --from $(FROM) --to $(TO) $(if $(VERBOSE),--verbose)

docs: manifest  ## dbt docs of the warehouse at $$CADENCE_HOME/reports/dbt_docs (Data Docs come with every run)
	cd dbt_project && $(DBT) docs generate --profiles-dir . --quiet \
		--target-path $(CADENCE_HOME)/reports/dbt_docs --static
	@echo "dbt docs:    $(CADENCE_HOME)/reports/dbt_docs/index.html (one file: static_index.html)"
	@echo "Data Docs:   $(CADENCE_HOME)/reports/data_docs/index.html"
	@echo "Report:      $(CADENCE_HOME)/published/report.html"

rollback: setup  ## switch readers back to the previously published marts
	$(PY) -m orchestration.cli rollback

lint: manifest  ## ruff, sqlfluff and the dbt structure rules (dbt-bouncer)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	mkdir -p $(CADENCE_HOME)/lint && CADENCE_HOME=$(CADENCE_HOME)/lint $(VENV)/bin/sqlfluff lint dbt_project/models
	$(VENV)/bin/dbt-bouncer run --config-file dbt-bouncer.yml

# The sample built on Spark and compared with the DuckDB build: minutes of JVM work on 2 cores,
# so it has a target of its own, which CI runs after `make test`.
SPARK_TESTS := tests/test_spark.py

pytest: manifest  ## the test suite (incl. a full materialisation of a small sample; not the Spark build)
	$(PY) -m pytest --ignore=$(SPARK_TESTS)

test-spark: manifest  ## the test sample's whole run on Spark, every published mart equal to the DuckDB run's (needs Java 17)
	$(PY) -m pytest $(SPARK_TESTS)

test: lint pytest  ## everything CI runs

bench: manifest  ## pipeline vs a DuckDB reference vs pandas at 1M/10M/50M rows (~1.5 h; SCALES=1M,10M; ORCHESTRATION=1: Dagster on SQLite vs PostgreSQL)
	$(PY) -m tests.bench $(if $(SCALES),--scales $(SCALES)) $(if $(ORCHESTRATION),--orchestration)

dev: manifest  ## the Dagster UI and daemon with the project loaded (runs of `make run` included)
	DAGSTER_HOME=$$($(PY) -m orchestration.dagster_instance) PYTHONPATH=$(CURDIR) \
	  $(VENV)/bin/dagster dev -m orchestration.definitions

# Superset in a virtualenv of its own under $$CADENCE_HOME (its pins conflict with the project's).
BI_HOME := $(CADENCE_HOME)/bi
BI_VENV := $(BI_HOME)/venv
BI_PORT ?= 8088

$(BI_VENV)/.installed: bi/requirements.txt
	@$(UV) --version >/dev/null 2>&1 || $(HOST_PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) venv --quiet --allow-existing --python 3.11 $(BI_VENV)
	$(UV) pip install --quiet --python $(BI_VENV)/bin/python -r bi/requirements.txt
	@touch $@

bi: $(BI_VENV)/.installed  ## Superset on 127.0.0.1:$$BI_PORT with the Cadence dashboard over the published file
	CADENCE_BI_HOME=$(BI_HOME) SUPERSET_CONFIG_PATH=$(CURDIR)/bi/superset_config.py \
		$(BI_VENV)/bin/python bi/superset_setup.py $(CADENCE_HOME)/published/cadence.duckdb
	@echo "Superset:  http://127.0.0.1:$(BI_PORT)/superset/dashboard/cadence/"
	CADENCE_BI_HOME=$(BI_HOME) SUPERSET_CONFIG_PATH=$(CURDIR)/bi/superset_config.py \
		$(BI_VENV)/bin/superset run --host 127.0.0.1 --port $(BI_PORT) --with-threads

test-bi: manifest $(BI_VENV)/.installed  ## the Superset dashboard imported and rendered in headless Chromium
	CADENCE_BI_VENV=$(BI_VENV) $(PY) -m pytest -m superset tests/test_superset.py

clean:  ## remove the local warehouse, sample and Dagster history (not the virtualenv)
	rm -rf $(CADENCE_HOME) dbt_project/target dbt_project/logs
