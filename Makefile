# Opensock developer commands. `make dev` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
PORT ?= 8787
# sam build needs the Lambda runtime's interpreter (python3.13) on PATH; pyenv provides it here.
export PYENV_VERSION ?= 3.11.7:3.12.1:3.13.0
export SAM_CLI_TELEMETRY := 0

# The newest of these that runs (a pyenv shim without its version does not); `make PYTHON=…`
# overrides. $(shell) does not see make's exports (GNU make < 4.4), hence PYENV_VERSION inline.
PYTHONS := python3.13 python3.12 python3.11
ifneq ($(origin PYTHON),command line)
PYTHON := $(firstword $(foreach p,$(PYTHONS),$(shell \
	PYENV_VERSION=$(PYENV_VERSION) $(p) -c 'print("$(p)")' 2>/dev/null)))
endif
ifeq ($(PYTHON),)
$(error opensock: needs one of $(PYTHONS) on PATH)
endif
# "3.13.0 /root/.pyenv/versions/3.13.0/bin/python3.13": what the venvs record in their stamps.
PYTHON_ID := $(shell PYENV_VERSION=$(PYENV_VERSION) $(PYTHON) -c \
	'import platform, sys; print(platform.python_version(), sys.executable)')
ifeq ($(PYTHON_ID),)
$(error opensock: $(PYTHON) does not run)
endif
ifeq ($(MAKELEVEL),0)
ifneq ($(filter dev test test-fast install flake,$(MAKECMDGOALS)),)
$(info opensock: using Python $(firstword $(PYTHON_ID)) ($(PYTHON)))
endif
endif
# A venv made by another interpreter is rebuilt.
ifneq ($(shell cat $(VENV)/.installed 2>/dev/null),$(PYTHON_ID))
$(VENV)/.installed: FORCE
endif
ifneq ($(shell cat $(SAM_VENV)/.installed 2>/dev/null),$(PYTHON_ID))
$(SAM_VENV)/.installed: FORCE
endif
ifneq ($(shell cat $(CHECKOV_VENV)/.installed 2>/dev/null),$(PYTHON_ID))
$(CHECKOV_VENV)/.installed: FORCE
endif

.PHONY: FORCE help install dev screenshots test test-fast flake fmt fmt-check lint typecheck validate deploy-check iam-record build check bench mutate token invoke deploy delete clean

FORCE:

help:
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(VENV)/.installed: requirements-dev.txt layers/deps/requirements.txt
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	echo '$(PYTHON_ID)' > $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv --clear $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==1.170.0
	echo '$(PYTHON_ID)' > $@

# checkov pins versions the project's venv cannot share: its own venv, every version pinned.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv --clear $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/pip install -q --no-deps -r requirements-checkov.txt
	echo '$(PYTHON_ID)' > $@

install: $(VENV)/.installed ## create the project venv with pinned dependencies

$(VENV)/.mutmut: $(VENV)/.installed
	$(BIN)/pip install -q mutmut==3.8.1
	touch $@

dev: $(VENV)/.installed ## run the whole service locally on 127.0.0.1:$(PORT); make dev ARGS=--fresh starts empty
	@PORT=$(PORT) $(BIN)/python -m tools.local $(ARGS)

screenshots: $(VENV)/.installed ## the console and the chat demo in headless Chromium: docs/images/*.png
	$(BIN)/python -m tools.screenshots

test: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed ## lint, typecheck, validate and rehearse the deploy, run every test
	$(MAKE) --no-print-directory fmt-check lint typecheck validate deploy-check
	$(BIN)/pytest -n 2 --dist loadfile

test-fast: $(VENV)/.installed ## pytest only
	$(BIN)/pytest -n 2 --dist loadfile

N ?= 5
flake: $(VENV)/.installed ## run pytest N times, list tests that ever failed: make flake N=5 ARGS='tests/local'
	$(BIN)/python -m tools.flake --runs $(N) -- -n 2 --dist loadfile $(ARGS)

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

deploy-check: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed ## rehearse a deploy offline: transform, references, moto stack, IAM, checkov
	$(BIN)/python -m tools.deploy_check

IAM_RECORDING := .deploy-check/iam-recording
iam-record: $(VENV)/.installed ## record each function's AWS calls (tools/iam_calls.py) into tools/deploy_check/iam_calls.json
	rm -rf $(IAM_RECORDING)
	OPENSOCK_IAM_RECORD=$(IAM_RECORDING) $(BIN)/pytest -q -p tests.support.iam_recording -n 2 --dist loadfile tests/integration tests/local tests/e2e_local
	$(BIN)/python -m tools.iam_calls merge $(IAM_RECORDING) tools/deploy_check/iam_calls.json

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
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .deploy-check .aws-sam .pytest_cache .mypy_cache .ruff_cache .mutate
