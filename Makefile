# Territorial Data Hub. Two commands do all the set-up on a fresh machine:
#   make demo   # venv + local stack + the whole graph, then a summary with URLs
#   make test   # venv + local stack + the test suite against the real services
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.9
PYTHON := python3.11
STACK := deploy/local/stack.sh
# Every hub command runs with the stack's generated settings and a persistent Dagster home.
HUB_ENV := set -a && . .stack/env && set +a && export DAGSTER_HOME=$(CURDIR)/.stack/dagster && mkdir -p $$DAGSTER_HOME && touch $$DAGSTER_HOME/dagster.yaml &&

.PHONY: help setup up down status demo test lint ui bench automation backup restore
help:
	@echo "make demo | make test | make up | make down | make status | make ui | make automation | make lint | make bench"
	@echo "make backup [SECRETS=1] [FILE=...] | make restore FILE=..."

setup: .venv/.synced
# Bytecode compiled once, at install: where PYTHONDONTWRITEBYTECODE is set (CI, containers)
# or the venv is read-only, every process would compile its imports again (0.4 s of each
# `tdh inspect`, 1.5 s of each Dagster process); uv takes some 15 s for the whole venv.
.venv/.synced: pyproject.toml uv.lock
	UV=$$(bash deploy/local/tools/uv.sh $(UV_VERSION)) && $$UV sync --frozen --compile-bytecode --python $(PYTHON)
	.venv/bin/python -m compileall -q pipelines connectors catalog
	@touch $@

up: setup
	$(STACK) up

down:
	$(STACK) down

status:
	$(STACK) status

demo: setup up
	$(HUB_ENV) .venv/bin/tdh demo

test: setup up lint
	bash deploy/local/tools/docker-compose.sh
	bash deploy/k8s/tools/helm.sh
	bash deploy/k8s/tools/image-venv.sh
	bash deploy/local/tools/browser.sh
	$(HUB_ENV) .venv/bin/pytest

lint: setup
	.venv/bin/ruff check pipelines connectors catalog tests benchmarks demo deploy
	.venv/bin/lint-imports
	VIRTUAL_ENV=$(CURDIR)/.venv .venv/bin/dg check defs
	.venv/bin/dagster definitions validate -w workspace.yaml

ui: setup up
	@echo "Dagster (webserver and daemon started by the stack): http://127.0.0.1:23000"
	@echo "Daily schedule and inbox sensor (stopped until turned on): make automation STATE=on|off|status"

automation: setup up
	$(HUB_ENV) .venv/bin/tdh automation $(or $(STATE),status)

# One archive of the stack's data (deploy/local/backup.sh); SECRETS=1 adds .stack/env,
# encrypted with a passphrase from HUB_BACKUP_PASSPHRASE or the terminal.
backup: setup
	deploy/local/backup.sh backup $(if $(SECRETS),--secrets) $(FILE)

restore: setup
	@test -n "$(FILE)" || { echo "make restore FILE=path/to/tdh-backup-....tar" >&2; exit 2; }
	deploy/local/backup.sh restore $(FILE)

bench: setup up
	$(HUB_ENV) .venv/bin/python benchmarks/normalise.py && .venv/bin/python benchmarks/validate.py && .venv/bin/python benchmarks/pooling.py
