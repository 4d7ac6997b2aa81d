# One command to run the app with demo data (make run), one to run every test (make test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi
# Links printed by the demo seed and the CLI point at the address `make run` serves on.
export CX_BASE_URL ?= http://$(HOST):$(PORT)

# Pango and HarfBuzz's subsetter for WeasyPrint, a Japanese font with a real bold, poppler for
# PDF checks in tests; Chromium only for the browser tests.
RUN_APT  := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig
TEST_APT := $(RUN_APT) poppler-utils chromium redis-server

.PHONY: run test lint format bench translations system-deps system-deps-test install install-dev db-upgrade seed clean serve audit cluster-demo loadtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@scripts/system-deps.sh $(RUN_APT)

system-deps-test:
	@scripts/system-deps.sh $(TEST_APT)

instance/secret_key:
	@mkdir -p instance
	@umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@

db-upgrade: install instance/secret_key
	$(FLASK) db upgrade

seed: db-upgrade
	$(FLASK) demo seed

run: system-deps install instance/secret_key db-upgrade seed
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: system-deps-test install-dev lint audit
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# axe-core for the browser tests' accessibility checks, exactly as tests/browser/package-lock.json
# pins it (installed only for tests: the app itself serves no script from npm).
AXE_CORE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE_CORE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@
test: $(AXE_CORE)

bench: system-deps-test install-dev
	$(BIN)/python -m tests.benchmarks

# Production-style serving: gunicorn (gunicorn.conf.py reads WEB_CONCURRENCY, GUNICORN_THREADS,
# BIND/PORT, LOG_FORMAT) after migrating the database.
serve: system-deps install instance/secret_key db-upgrade
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Known vulnerabilities in the installed packages; AUDIT_STRICT=1 also fails when the
# vulnerability service could not answer (see scripts/audit.py).
audit: install-dev
	$(BIN)/python scripts/audit.py

# Two gunicorn nodes, one RQ worker, PostgreSQL and Redis on loopback, and a smoke test across.
cluster-demo: install-dev
	$(BIN)/python scripts/cluster_demo.py

# 1,000 simulated respondents against gunicorn on SQLite and PostgreSQL, with faults;
# writes bench-results/loadtest.json. Restarts the local PostgreSQL and Redis: not for CI.
loadtest: install-dev
	$(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

# Extract translatable strings, merge them into the catalogues and compile them.
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot --no-location --omit-header --sort-output .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --omit-header
	$(BIN)/pybabel compile -d app/translations
