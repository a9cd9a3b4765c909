# Jiaozi (教资) — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEACHERS ?= 300
CHROMIUM ?= /usr/bin/chromium
# Tests run in a random order (pytest-randomly, docs/decisions/0159): each run prints its
# seed; `make unit SEED=N` repeats that order, `make unit ORDER=fixed` runs the file order.
ORDER ?= random
ifeq ($(ORDER),random)
SEED ?= $(shell echo $$RANDOM)
SEED := $(SEED)
PYTEST_ORDER := -p randomly --randomly-seed=$(SEED)
SHOW_ORDER = @echo "Test order: random, seed $(SEED) (repeat: make $@ SEED=$(SEED); file order: make $@ ORDER=fixed)"
else
PYTEST_ORDER := -p no:randomly
SHOW_ORDER = @echo "Test order: file order"
endif
PYTEST_ARGS ?=
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --requirement requirements/dev.lock
	@touch $@

setup: $(VENV)/.installed ## Create .venv and install the locked dependencies (no database work)

APT_TOOLS := chromium:chromium pdftotext:poppler-utils zbarimg:zbar-tools
browser: ## Install the Debian tools the tests drive (Chromium, poppler, zbar) when missing
	@missing=""; for pair in $(APT_TOOLS); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian's packages:$$missing fonts-noto-cjk"; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing fonts-noto-cjk >/dev/null; \
	fi

nginx: ## Install Debian's nginx when missing (make cluster puts it in front of the app servers)
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing nginx from Debian's packages"; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

cluster: setup nginx ## Production mode here: 2 app servers behind nginx, Celery worker and beat, on local PostgreSQL and Redis (deploy/)
	$(PY) deploy/cluster.py start

var/load-venv/.installed: requirements/load.lock
	$(PYTHON) -m venv var/load-venv
	var/load-venv/bin/pip install --quiet --upgrade pip
	var/load-venv/bin/pip install --quiet --requirement requirements/load.lock
	@touch $@

load: setup var/load-venv/.installed ## The deadline-day load test (locust) against make cluster, with invariants; writes bench/results.md (not in test/CI)
	@$(PY) deploy/cluster.py status >/dev/null || $(MAKE) cluster
	$(PY) bench/load/run_load.py

cluster-stop: ## Stop what make cluster started
	$(PY) deploy/cluster.py stop

migrate: setup ## Apply the database migrations
	@mkdir -p var
	$(PY) manage.py migrate --no-input

# Links the demo prints or puts in its documents (share links, QR codes) point at where it serves.
DEMO_BASE_URL = PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}

demo: migrate ## Load the demo data (Anhui 2024, personas, $(TEACHERS) teachers)
	$(DEMO_BASE_URL) $(PY) manage.py seed_demo --teachers $(TEACHERS)

run: demo ## Set up, migrate, load the demo and serve it on http://$(HOST):$(PORT)
	@$(PY) manage.py demo_signins --host http://$(HOST):$(PORT)
	$(DEMO_BASE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

test: setup browser ## The whole suite: unit, integration, API schema and browser journeys (random order)
	$(SHOW_ORDER)
	$(BIN)/pytest -q -n 2 --dist loadfile $(PYTEST_ORDER) $(PYTEST_ARGS)

unit: setup ## The suite without the browser journeys (random order)
	$(SHOW_ORDER)
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not e2e" $(PYTEST_ORDER) $(PYTEST_ARGS)

e2e: setup browser ## Browser journeys in Chromium (screenshots in e2e/screenshots/; random order)
	$(SHOW_ORDER)
	$(BIN)/pytest -q -m e2e e2e $(PYTEST_ORDER) $(PYTEST_ARGS)

lint: setup ## ruff check and format check; import-linter's layer contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: setup ## mypy with django-stubs
	$(BIN)/mypy config jiaozi

messages: setup ## Extract the UI strings into jiaozi/locale/en/…/django.po and compile the .mo (gettext)
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing gettext (apt-get)…"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	$(PY) manage.py makemessages -l en --no-location --no-fuzzy-matching --ignore='var/*' --ignore='e2e/*' --ignore='bench/*'
	$(PY) manage.py compilemessages -l en --ignore='.venv/*'

migrations-check: setup ## Fail when a model change has no migration
	$(PY) manage.py makemigrations --check --dry-run

audit: setup ## pip-audit of the lock files (an explained SKIP when the vulnerability service is unreachable) and bandit (no high finding)
	$(PY) .ci/dep_audit.py requirements/base.lock requirements/dev.lock --ignore requirements/audit-ignore.txt
	@# bandit warns once per check on every "# nosec" line of a multi-line statement: noise, dropped.
	$(BIN)/bandit --quiet --recursive jiaozi config -lll 2> >(grep -v "nosec encountered" >&2)
	@echo "== bandit PASS: no high-severity finding in jiaozi/ and config/ (medium ones reviewed: # nosec with a reason)"

bench: setup ## Benchmarks against the targets of PRODUCT.md §10 (writes bench/results.md)
	$(PY) bench/run.py

lock: setup ## Re-resolve the lock files from requirements/*.in
	cd requirements && ../$(BIN)/uv pip compile -q base.in -o base.lock --python-version 3.11 && \
	  ../$(BIN)/uv pip compile -q dev.in -o dev.lock --python-version 3.11 && \
	  ../$(BIN)/uv pip compile -q load.in -o load.lock --python-version 3.11

clean: ## Remove the virtualenv, the demo database and caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache e2e/screenshots


.PHONY: nginx cluster cluster-stop load
.PHONY: help setup browser migrate demo run test unit e2e lint format typecheck migrations-check audit messages bench lock clean
