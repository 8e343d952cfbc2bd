# Product Insights Workbench. `make` (or `make help`) lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup demo pull themes quarterly test test-fast lint lab bench clean clean-cache

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WB := $(VENV)/bin/workbench
STAMP := $(VENV)/.installed
QUARTER ?=
QARG := $(if $(QUARTER),--quarter $(QUARTER),)
LAB_ARGS ?=
# Jupyter refuses to start as root (containers) unless told it is intended.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[dev]"
	$(WB) themes prepare || echo "note: the embedding model will be prepared by the first theme run instead"
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

lab: $(STAMP) ## Open JupyterLab on notebooks/ (LAB_ARGS="--port 8890 --no-browser"; jupytext twins hidden)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --config=config/jupyter_server_config.py $(ALLOW_ROOT) $(LAB_ARGS)

bench: $(STAMP) ## Run the benchmarks in bench/ (slow; results go to docs/benchmarks.md)
	$(PY) bench/run_all.py

clean: ## Remove generated data, models and reports (keeps .venv and the embedding cache in .cache/)
	rm -rf data/demo data/raw data/processed data/models reports/*/ test-artifacts

clean-cache: ## Remove the embedding cache (.cache/): the next themes run embeds every text again
	rm -rf .cache
