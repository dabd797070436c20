# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ADMIN_EMAIL ?= $(or $(QFRACTAL_ADMIN_EMAIL),admin@example.org)
ADMIN_PASSWORD ?= $(or $(QFRACTAL_ADMIN_PASSWORD),1234)
# Database of the test suite: sqlite or postgresql
DB ?= sqlite
# Test processes (pytest-xdist); 0 runs the tests in pytest's own process
TEST_WORKERS ?= 2

.PHONY: run test lint install clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/qfractal init --admin-email "$(ADMIN_EMAIL)" --admin-password "$(ADMIN_PASSWORD)"
	@echo
	@echo "  qfractal on http://$(HOST):$(PORT)   admin login: $(ADMIN_EMAIL) / $(ADMIN_PASSWORD)"
	@echo
	$(BIN)/qfractal serve --host $(HOST) --port $(PORT)

test: install
	QFRACTAL_TEST_DATABASE=$(DB) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check qfractal tests
	$(BIN)/ruff format --check qfractal tests

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
