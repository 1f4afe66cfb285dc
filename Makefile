# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTALLED = $(VENV)/.installed
SAMPLE = data/sample

.PHONY: install demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/pmanalytics load $(SAMPLE)

test: install
	$(BIN)/ruff check pmanalytics tests
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pmanalytics tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
