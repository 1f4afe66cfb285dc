# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
INSTALLED = $(VENV)/.installed
SAMPLE = data/sample
# The demo's own database: `make demo` never touches the default one (~/.local/share/pmanalytics).
DEMO_DB = .demo/pmanalytics.duckdb

.PHONY: install browser demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	touch $(INSTALLED)

install: $(INSTALLED)

BENCH_INSTALLED = $(VENV)/.bench-installed
$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_INSTALLED)

# Headless Chromium (Debian's package) for the tests that open the HTML reports in a browser. Where it
# cannot be installed (no apt-get, no root nor passwordless sudo) the browser tests are skipped, with one
# line saying so; under CI=true that is an error, so CI always runs them.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; } \
	    >$(VENV)/chromium-install.log 2>&1; } || { \
	  if [ "$$CI" = true ]; then \
	    echo "chromium could not be installed (see $(VENV)/chromium-install.log); CI=true needs the browser tests" >&2; \
	    exit 1; fi; \
	  echo "chromium could not be installed (see $(VENV)/chromium-install.log): the browser tests will be skipped"; }

demo: install
	mkdir -p $(dir $(DEMO_DB))
	$(BIN)/pmanalytics load $(SAMPLE) --db $(DEMO_DB)
	$(BIN)/pmanalytics report --period last-quarter --db $(DEMO_DB)

test: install browser
	$(BIN)/ruff check pmanalytics tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pmanalytics tests benchmarks

# The benchmark (benchmarks/README.md): corpora of 1,000, 10,000 and 100,000 postmortems, about
# 10 minutes on 2 cores. Not part of `make test`. BENCH_ARGS="--sizes 1000 --repeat 1" for a quick run.
# Byte-compiled first, as an installed package is: every command measured starts a new interpreter.
bench: $(BENCH_INSTALLED)
	$(BIN)/python -m compileall -q pmanalytics
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache .demo
