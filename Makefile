# Product Insights Workbench. `make` (or `make help`) lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup demo pull themes quarterly test test-fast lint lab bench clean

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.installed
QUARTER ?=
QARG := $(if $(QUARTER),--quarter $(QUARTER),)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install pinned dependencies (only reinstalls when they change)

demo: $(STAMP) ## Generate the embedded demo company into data/demo/
	$(WB) demo

pull: $(STAMP) ## Pull every configured source into data/processed/ (QUARTER=2026Q3 for one quarter)
	$(WB) pull $(if $(QUARTER),--quarter $(QUARTER),--all)

themes: $(STAMP) ## Fit/update the theme model and write assignments and metrics
	$(WB) themes $(QARG)

quarterly: $(STAMP) ## Build reports/<quarter>/ end to end (QUARTER=2026Q3 optional)
	$(WB) report $(QARG)

test: $(STAMP) ## Run ruff, the import-layer contracts and the whole test suite (unit, integration, browser)
	$(VENV)/bin/ruff check src tests bench notebooks
	$(VENV)/bin/ruff format --check src tests bench notebooks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

test-fast: $(STAMP) ## Unit tests only
	$(VENV)/bin/pytest tests/unit -m "not slow"

lint: $(STAMP) ## ruff check, format check and the import-layer contracts
	$(VENV)/bin/ruff check src tests bench notebooks
	$(VENV)/bin/ruff format --check src tests bench notebooks
	$(VENV)/bin/lint-imports

lab: $(STAMP) ## Open JupyterLab with `import workbench` available
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## Run the benchmarks in bench/ (slow; results go to docs/benchmarks.md)
	$(PY) bench/run_all.py

clean: ## Remove generated data, reports and caches (keeps .venv)
	rm -rf data/demo data/raw data/processed data/models .cache reports/*/ test-artifacts
