# ELViS — developer commands. `make run` and `make test` work on a fresh machine: they create the
# virtualenv and install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Redis broker integration tests run when TEST_REDIS_URL is set (CI sets it).
TEST_REDIS_URL ?=
# Test processes (pytest-xdist), each with its own test database; TEST_WORKERS=0 runs the suite
# in one process (e.g. to debug with --pdb). Work stealing: a process that runs out of tests
# takes pending ones from the other, so the minutes-long browser walks don't leave one idle.
TEST_WORKERS ?= 2
# Coverage of the product's code (pytest-cov; the table lists files not fully covered, TOTAL
# last); COVERAGE=0 leaves it out.
COVERAGE ?= 1
COVERAGE_ARGS := $(if $(filter 1,$(COVERAGE)),--cov --cov-report=term,)

.PHONY: install install-dev run worker webhook-worker beat migrate seed test fuzz guide-check schema lint format bench clean
.PHONY: faults
.PHONY: messages translations check-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: install, migrate, load demo data, then serve on 127.0.0.1:$(PORT) with a worker.
run: install
	PORT=$(PORT) BIN=$(BIN) scripts/run.sh

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: install
	$(BIN)/python manage.py seed_demo

## make worker: a Celery worker for the queue groups in WORKER_QUEUES (default: e-mail and the
## rest, and webhook deliveries); production runs one per group: `make worker
## WORKER_QUEUES=default` and `make webhook-worker`.
WORKER_QUEUES ?= default,webhooks
comma := ,
worker: install
	WORKER_QUEUES=$(WORKER_QUEUES) $(BIN)/celery -A elvis worker --loglevel=INFO \
	  --hostname=$(subst $(comma),+,$(WORKER_QUEUES))@%h

webhook-worker: install
	$(MAKE) worker WORKER_QUEUES=webhooks

beat: install
	$(BIN)/celery -A elvis beat --loglevel=INFO

## make test: the whole suite on the database DATABASE_URL names (SQLite by default), in
## $(TEST_WORKERS) processes, with its coverage.
test: install-dev
	scripts/ensure-chromium.sh
	TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(COVERAGE_ARGS) \
	  $(PYTEST_ARGS)

## make fuzz: schemathesis against the live API on a throwaway PostgreSQL database (FUZZ_PG).
fuzz: install-dev
	BIN=$(BIN) scripts/fuzz-api.sh

## make guide-check: follow docs/partner-guide.md step by step against a live server
## (throwaway PostgreSQL from GUIDE_PG, gunicorn and a real Celery worker).
guide-check: install
	$(BIN)/python scripts/check_partner_guide.py

## make schema: regenerate the committed OpenAPI document (CI fails when it is stale).
schema: install-dev
	DJANGO_SETTINGS_MODULE=elvis.settings_test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

## make bench: import/search/API benchmarks on PostgreSQL (BENCH_DATABASE_URL; see bench/README.md).
bench: install-dev
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)

## make faults: ELViS (gunicorn, a worker per queue, beat) under the six faults of issue #15,
## each reconciled (bench/README.md). FAULTS_ARGS=--quick: about 5 minutes; FAULTS_SCALE scales.
faults: install-dev
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Translations (locale/, GNU gettext): `make messages` extracts new strings into the French and
## German catalogues, `make translations` compiles them (the .mo files are committed, so that
## `make run` needs no gettext), `make check-translations` is CI's check.
messages: install
	scripts/ensure-gettext.sh
	DEBUG=1 $(BIN)/python manage.py makemessages --locale=fr --locale=de --add-location=file \
	  --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=var \
	  --ignore=staticfiles --ignore=docs --ignore=data

translations: install
	scripts/ensure-gettext.sh
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

check-translations: install
	scripts/ensure-gettext.sh
	PY=$(BIN)/python scripts/check-translations.sh

clean:
	rm -rf var staticfiles .pytest_cache
