# Opensock developer commands. `make dev` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
PORT ?= 8787
# sam build needs the Lambda runtime's interpreter (python3.13) on PATH; pyenv provides it here.
export PYENV_VERSION ?= 3.11.7:3.12.1:3.13.0
export SAM_CLI_TELEMETRY := 0

.PHONY: help install dev test test-fast fmt fmt-check lint typecheck validate build check bench mutate token invoke deploy delete clean

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(VENV)/.installed: requirements-dev.txt layers/deps/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==1.170.0
	touch $@

install: $(VENV)/.installed ## create the project venv with pinned dependencies

$(VENV)/.mutmut: $(VENV)/.installed
	$(BIN)/pip install -q mutmut==3.8.1
	touch $@

dev: $(VENV)/.installed ## run the whole service locally on 127.0.0.1:$(PORT)
	PORT=$(PORT) $(BIN)/python -m tools.local

test: $(VENV)/.installed $(SAM_VENV)/.installed ## lint, typecheck, validate the template, run every test
	$(MAKE) --no-print-directory fmt-check lint typecheck validate
	$(BIN)/pytest -n 2 --dist loadfile

test-fast: $(VENV)/.installed ## pytest only
	$(BIN)/pytest -n 2 --dist loadfile

fmt: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

fmt-check: $(VENV)/.installed
	$(BIN)/ruff format --check .

lint: $(VENV)/.installed ## ruff, and the import-linter layer contracts (pyproject.toml)
	$(BIN)/ruff check .
	PYTHONPATH=layers/shared/python $(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy layers/shared/python/opensock functions

validate: $(VENV)/.installed $(SAM_VENV)/.installed ## sam validate --lint and cfn-lint, offline
	$(SAM) validate --lint --template-file template.yaml --region us-east-1
	$(BIN)/cfn-lint template.yaml

build: $(SAM_VENV)/.installed ## sam build (arm64, no Docker)
	$(SAM) build --parallel --cached

check: test

bench: $(VENV)/.installed ## measure requests, cost and latency; writes docs/performance.md
	$(BIN)/python -m bench

mutate: $(VENV)/.mutmut ## mutation testing of domain/auth and the storage write path (~6 min; not in make test)
	$(BIN)/python tools/mutate.py

token: $(VENV)/.installed ## mint a local dev token: make token ARGS='--uid Jim --claims {...}'
	$(BIN)/python -m tools.local token $(ARGS)

invoke: $(VENV)/.installed ## run one handler on a sample event: make invoke FN=connect EVENT=events/connect.json
	$(BIN)/python -m tools.local invoke $(FN) $(EVENT)

deploy: build ## first time: sam deploy --guided
	$(SAM) deploy

delete:
	$(SAM) delete

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .mutate
