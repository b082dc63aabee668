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
# Front-end libraries come from the npm registry at install time (package.json + package-lock.json, `npm ci`) and are
# copied into static/vendor/ (git-ignored), where collectstatic and WhiteNoise serve them: no CDN, no committed copy.
VENDOR_JS := static/vendor/chart.umd.min.js
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock"

.PHONY: run test install install-dev lint lock manage services stop browsers node clean help

help:
	@echo "make run    - install, start embedded services if needed, migrate, seed, serve on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   - install, lint, then the whole test suite against real PostgreSQL and Redis"
	@echo "make manage ARGS='shell' - a manage.py command with the services up"
	@echo "make lint   - ruff, the import-layer contracts (lint-imports) and mypy, as make test runs them"
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

# Chart.js for the admin's analytics dashboard (its source map too: collectstatic's manifest follows the reference).
$(VENDOR_JS): package.json package-lock.json | node
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p static/vendor
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/
	touch $@

# npm comes with Debian's nodejs: installed when missing and we are root (CI), like Chromium below.
node:
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's nodejs and npm for the front-end libraries"; \
	    (apt-get install -y -q nodejs npm >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q nodejs npm >/dev/null)); \
	  else \
	    echo "Installing the front-end libraries needs npm: run 'sudo apt-get install nodejs npm'" >&2; exit 1; \
	  fi; \
	fi

install: $(RUN_STAMP) $(VENDOR_JS)
install-dev: $(DEV_STAMP) $(VENDOR_JS)

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

# ruff (lint and format), the layer contracts of .importlinter, then mypy (config in pyproject.toml). The type
# checker's Django plugin imports the settings, which insist on the service URLs: it gets placeholders (it never
# connects), so that `make lint` needs no running service.
TYPECHECK_ENV := DATABASE_URL=postgresql://typecheck.invalid/couponali REDIS_URL=redis://typecheck.invalid/0
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(TYPECHECK_ENV) $(BIN)/mypy

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
	rm -rf var staticfiles node_modules static/vendor
