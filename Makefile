# The two commands: `make run` and `make test`. Everything else here is what they are made of.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
# Installs come from the lock files, every package pinned with its hashes (`make lock` writes them).
PIP_VERSION := 26.3
# Commands that need PostgreSQL and Redis run through this: it starts the embedded ones that have no URL in the
# environment, sets DATABASE_URL / DATABASE_OWNER_URL / REDIS_URL for the command, and stops what it started.
WITH_SERVICES := $(BIN)/python -m devtools.embedded run --
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock"

.PHONY: run test install install-dev lint lock manage services stop browsers clean help

help:
	@echo "make run    - install, start embedded services if needed, migrate, seed, serve on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   - install, lint, then the whole test suite against real PostgreSQL and Redis"
	@echo "make manage ARGS='shell' - a manage.py command with the services up"
	@echo "make lock   - re-compile requirements.lock and requirements-dev.lock (UPGRADE=pkg upgrades one package)"
	@echo "make stop   - stop the embedded PostgreSQL and Redis under var/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip==$(PIP_VERSION)

$(RUN_STAMP): requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	touch $@

$(DEV_STAMP): requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

# After changing a pin in requirements.txt / requirements-dev.txt; `make lock UPGRADE=certifi` moves one
# package (a dependency of a dependency) to its newest release and leaves the others where they are.
lock: install-dev
	$(LOCK) $(if $(UPGRADE),--upgrade-package $(UPGRADE)) requirements.txt -o requirements.lock
	$(LOCK) $(if $(UPGRADE),--upgrade-package $(UPGRADE)) requirements-dev.txt -o requirements-dev.lock

services: install
	$(BIN)/python -m devtools.embedded start

stop: install
	$(BIN)/python -m devtools.embedded stop

run: install
	$(WITH_SERVICES) $(BIN)/python -m devtools.runner

manage: install
	$(WITH_SERVICES) $(BIN)/python manage.py $(ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
browsers:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	  else \
	    echo "The browser tests need /usr/bin/chromium: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; \
	fi

# Embedded services that the test run had to start are stopped again when it ends.
test: install-dev lint browsers
	$(WITH_SERVICES) $(BIN)/pytest --ds=couponali.settings.test $(PYTEST_ARGS)

clean: stop
	rm -rf var staticfiles
