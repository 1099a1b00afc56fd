# Two commands on a fresh machine: `make serve` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
JS := tests/js
JS_STAMP := $(JS)/node_modules/.package-lock.json

.PHONY: serve test lint js chromium bench clean

# The first run downloads about 60 packages: pip's own lines show the progress.
$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing mrap with its dependencies (a minute or two the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -e '.[dev]'
	touch $(STAMP)
	@echo "==> installed: '. $(VENV)/bin/activate' puts mrap and aws on your PATH"

serve: $(STAMP)
	$(BIN)/mrap serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src tests bench

# The JavaScript SDK tests' packages, Node 24 among them, from the npm registry. CI machines
# without npm get it (and the Node that runs it) from Debian.
$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm ci --prefix $(JS) --no-audit --no-fund

js: $(JS_STAMP)

# The web console's browser tests drive Debian's Chromium (Playwright never downloads a
# browser here). Installed when missing and only as root; otherwise those tests are skipped.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && apt-get install -y -qq chromium; \
	elif [ ! -x /usr/bin/chromium ]; then \
		echo "==> /usr/bin/chromium missing and not root: the console's browser tests will be skipped"; \
	fi

test: lint js chromium
	$(BIN)/pytest -n auto --durations=20

# Benchmarks need the SeaweedFS peer and wrk (a Debian package).
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/core.py

clean:
	rm -rf $(VENV) data $(JS)/node_modules
