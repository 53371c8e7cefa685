# The few verbs a newcomer needs. `make run` and `make test` are all it takes on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt only when the dependencies change, so a second `make run` is quick.
INSTALLED := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help install run test lint format check messages clean bench

help:
	@echo "make run      set up (venv, install, migrate, load data) and serve http://127.0.0.1:8000"
	@echo "make test     run the whole test suite"
	@echo "make install  create .venv and install the dependencies only"
	@echo "make lint     ruff (lint and format check)"
	@echo "make check    lint + dependency rules + types (mypy) + Django system checks + missing-migration check"
	@echo "make messages re-extract and compile the interface translations"
	@echo "make bench    benchmark against Datasette and raw SQL (PostgreSQL, Redis, wrk; see README)"

$(INSTALLED):
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(INSTALLED)

# E-mail (alerts' confirmations and digests) is written to files in var/mail/, not sent.
MAIL_DIR := $(CURDIR)/var/mail

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_policies
	$(BIN)/python manage.py refresh_progress
	$(BIN)/python manage.py publish_measures
	$(BIN)/python manage.py sync_schedules
	$(BIN)/python manage.py ensure_admin
	@echo
	@echo "  Policy Tracker is at http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)"
	@echo "  Admin user: ADMIN_USER=... ADMIN_PASSWORD=... make run, or $(BIN)/python manage.py createsuperuser"
	@echo "  E-mail is not sent: each message is a file in $(MAIL_DIR)/ (EMAIL_URL=... make run to send)"
	@echo
	EMAIL_URL="$${EMAIL_URL:-filemail://$(MAIL_DIR)}" $(BIN)/python manage.py runserver 127.0.0.1:8000

# PYTEST_ARGS passes options through, e.g. make test PYTEST_ARGS='-m "not services"'.
PYTEST_ARGS ?=
# The suite runs in one process per core (pytest-xdist), a test file to a process; `make test
# TEST_PROCESSES=0` runs it in this process alone.
TEST_PROCESSES ?= auto

test: install
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py load_policies --check

# Needs GNU gettext (msgfmt); the compiled .mo files are committed, so running the app does not.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=build --no-obsolete --no-location
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

# Needs a local PostgreSQL and Redis, and wrk (Debian: apt-get install wrk). The whole report:
# the real size (SQLite, beside Datasette) and 10k, 100k and 1M measures (about two hours).
# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--sizes 10000 --output /tmp/b".
BENCH_ARGS ?= --sizes 10000,100000,1000000 --real-size
bench: install
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	nice -n 10 $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
