# Lantern: `make run` to try it, `make test` for the whole suite (what CI runs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint fmt migrations-check e2e-browser

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

# daphne -v 0: its own access log (full paths, query strings) off, Lantern logs requests itself;
# --no-server-name: no Server header. Sockets are accepted only from PUBLIC_BASE_URL, so it follows
# PORT unless set.
run: $(RUN_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Lantern is at http://127.0.0.1:$${PORT:-8000}/ (Ctrl+C to stop)"
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$${PORT:-8000}} \
	  $(PY) -m daphne -v 0 --no-server-name -b 127.0.0.1 -p $${PORT:-8000} project.asgi:application

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: $(DEV_STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# axe-core for the accessibility checks, from the npm registry at the version the lock file pins
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	npm ci --prefix tests/e2e/axe --no-audit --no-fund --silent
	touch $@

test: lint migrations-check $(AXE)
	$(VENV)/bin/pytest
