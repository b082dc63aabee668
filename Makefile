# The two commands: `make run` and `make test`. Everything else here is what they are made of.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test install install-dev lint services stop browsers clean help

help:
	@echo "make run    - install, start embedded services if needed, migrate, seed, serve on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test   - install, lint, then the whole test suite against real PostgreSQL and Redis"
	@echo "make stop   - stop the embedded PostgreSQL and Redis under var/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

services: install
	$(BIN)/python -m couponali.embedded start

stop: install
	$(BIN)/python -m couponali.embedded stop

run: install
	$(BIN)/python -m couponali.runner

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
	$(BIN)/python -m couponali.embedded run -- $(BIN)/pytest --ds=couponali.settings.test $(PYTEST_ARGS)

clean: stop
	rm -rf var staticfiles
