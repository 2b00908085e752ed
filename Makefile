# The portal's commands. `make run` serves the demo; `make test` runs every test; `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
INSTALLED := $(VENV)/.installed
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres bench wrk chromium translations extract-messages clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED) translations ## create .venv and install the portal and its test tools

translations: $(INSTALLED) ## compile the message catalogues (Russian is the source language, English translated)
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations -D messages >/dev/null

extract-messages: $(INSTALLED) ## refresh the English catalogue from the code and templates
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -l en --no-fuzzy-matching

run: install ## serve the embedded demo at http://127.0.0.1:5000 (SQLite, local files, mail to instance/outbox)
	$(FLASK) db upgrade
	$(FLASK) regions sync
	$(FLASK) seed-demo
	@echo "\n  Портал: http://127.0.0.1:5000   (письма: instance/outbox и эта консоль)\n"
	$(FLASK) run --host 127.0.0.1 --port 5000

chromium: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

test: install chromium ## lint, then run the whole suite on SQLite, then again on PostgreSQL when one answers
	$(BIN)/ruff check portal reviewers search tests bench config.py
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL is not reachable at $(PG_URL): the suite ran on SQLite only."; fi

test-sqlite: install
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test-postgres: install
	TEST_DB=postgres TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser"

bench: install wrk ## measure the SPEC §10 workloads and the console's (rush, uploads, judging, search, library pages, exports, publication, protocol, mailing); writes bench/results/
	$(BIN)/python -m bench.run

wrk: ## install Debian's wrk (the load generator of the page benchmark) when it is missing
	@command -v wrk >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

clean: ## remove the virtualenv, the demo instance and test artifacts
	rm -rf $(VENV) instance tests/artifacts bench/results
