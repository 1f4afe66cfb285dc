# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTALLED = $(VENV)/.installed
SAMPLE = data/sample

.PHONY: install browser demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

BENCH_INSTALLED = $(VENV)/.bench-installed
$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_INSTALLED)

# Headless Chromium (Debian's package) for the test that opens the HTML report in a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(BIN)/pmanalytics load $(SAMPLE)
	$(BIN)/pmanalytics report --period last-quarter

test: install browser
	$(BIN)/ruff check pmanalytics tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pmanalytics tests benchmarks

# The benchmark (benchmarks/README.md): corpora of 1,000, 10,000 and 100,000 postmortems, about
# 20 minutes on 2 cores. Not part of `make test`. BENCH_ARGS="--sizes 1000 --repeat 1" for a quick run.
# Byte-compiled first, as an installed package is: every command measured starts a new interpreter.
bench: $(BENCH_INSTALLED)
	$(BIN)/python -m compileall -q pmanalytics
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
