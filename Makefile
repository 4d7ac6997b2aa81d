# One command to run the app with demo data (make run), one to run every test (make test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi
# The suite in two processes (pytest-xdist, a database each); `make test PYTEST_ARGS=` runs
# it in one.
PYTEST_ARGS ?= -n 2
# Links printed by the demo seed and the CLI point at the address `make run` serves on.
export CX_BASE_URL ?= http://$(HOST):$(PORT)

# Pango and HarfBuzz's subsetter for WeasyPrint, a Japanese font with a real bold, poppler for
# PDF checks in tests; Chromium only for the browser tests.
RUN_APT  := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig
TEST_APT := $(RUN_APT) poppler-utils chromium redis-server nodejs

.PHONY: run test lint format bench translations system-deps system-deps-test install install-dev lock db-upgrade seed clean serve audit cluster-demo loadtest

# Exact versions and the hash of every file, made from pyproject.toml's ranges by `make lock`.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Dependencies come only from a lock file, each file checked against its hashes; the project
# itself is then installed editable, without dependencies (the lock has them all). `pip check`
# fails when pyproject.toml asks for a runtime dependency the lock does not have yet.
$(VENV)/.installed: $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

$(VENV)/.installed-dev: $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Write the lock files again after a change to pyproject.toml's dependencies. Versions already
# locked are kept while the ranges allow them; LOCK_ARGS=--upgrade takes the newest of
# everything, LOCK_ARGS='--upgrade-package NAME' of one package. Every platform's files are
# hashed, and the development lock keeps the runtime lock's versions. Extras stay in the pins
# (psycopg[binary]==...): the pip a new venv starts with (23.2) otherwise takes another
# version for a dependency's "pkg[extra]>=..." and refuses it as unpinned. uv comes from the
# development lock, without `pip check`: that is what fails until the locks are made again.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' --no-strip-extras $(LOCK_ARGS)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(UV_COMPILE) pyproject.toml -o $(LOCK)
	$(UV_COMPILE) pyproject.toml --extra dev -c $(LOCK) -o $(DEV_LOCK)

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

# The audit asks PyPI about every package: it runs beside the tests, and either failing fails.
test: system-deps-test install-dev lint
	@mkdir -p test-artifacts
	@$(BIN)/python scripts/audit.py > test-artifacts/audit.log 2>&1 & audit=$$!; \
	$(BIN)/python -m pytest $(PYTEST_ARGS); tests=$$?; \
	wait $$audit; audited=$$?; \
	echo "=== audit"; cat test-artifacts/audit.log; \
	test $$tests -eq 0 && test $$audited -eq 0

# The browser tests' npm packages, exactly as tests/browser/package-lock.json pins them: axe-core
# for the accessibility checks and oidc-provider, the OpenID provider single sign-on is tested
# against (installed only for tests: the app itself serves no script from npm).
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
