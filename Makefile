# Two commands set up everything: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export MINSHENG_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint format install assets browser serve bench clean

demo: install assets ## Build the demo city and serve it on http://127.0.0.1:$(PORT)
	$(BIN)/minsheng demo --host $(HOST) --port $(PORT)

test: install assets browser lint ## Run the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest -n 2 -m "not e2e"
	$(BIN)/pytest -m e2e

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: install
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

bench: install assets ## Print the foundation benchmarks (SQLite)
	$(BIN)/python bench/bench_foundation.py

serve: install assets
	$(BIN)/minsheng db upgrade && $(BIN)/minsheng serve --host $(HOST) --port $(PORT)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  else echo "python3-venv is missing: run 'sudo apt-get install python3-venv'"; exit 1; fi; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

assets: install node_modules/.package-lock.json
	$(BIN)/python scripts/vendor_assets.py

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are required (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

browser: ## Debian's chromium and CJK fonts for the browser tests
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "chromium or fonts-noto-cjk missing: run 'sudo apt-get install chromium fonts-noto-cjk'"; \
	    [ "$$CI" != "true" ] || exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) node_modules var src/minsheng/web/static/vendor src/minsheng/org/division
