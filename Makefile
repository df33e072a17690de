# Deposit Desk: `make run` serves the product, `make test` runs the whole suite.
# Both create the virtualenv on first use; later runs reuse it and start within seconds.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
CONSTRAINTS := requirements/constraints.txt

.PHONY: run test lint format check-migrations schema clean-var help

help:
	@echo "make run    install, migrate, seed demo data, serve web + worker + beat on :$(PORT)"
	@echo "make test   install dev dependencies and run the whole suite"
	@echo "make lint   ruff check + ruff format --check + import contracts"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.run-installed: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(VENV)/bin/pip install -q -c $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/bin/python pyproject.toml $(CONSTRAINTS)
	$(VENV)/bin/pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

# make run is for a developer's machine: DEBUG on unless the environment says otherwise.
run: export DJANGO_DEBUG ?= true
run: export DJANGO_SECURE_SSL_REDIRECT ?= false
run: export PORT := $(PORT)
run: export DASHBOARD_BASE_URL ?= http://localhost:$(PORT)
run: $(VENV)/.run-installed
	@mkdir -p var
	@# .env: development mode and the DATABASE_URL/broker given here, for later manage.py commands
	@$(PY) -m config.dev_env .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@$(PY) manage.py banner --port $(PORT)
	$(VENV)/bin/honcho -f Procfile.dev start

test: $(VENV)/.dev-installed
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-var:
	rm -rf var
