# On a fresh machine: `make run` (the bot, or the demo without credentials) and `make test`.
# Production: `make install` puts the runtime from the hashed lock into .venv, no dev tools.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
DEV     := $(VENV)/.dev

.PHONY: install run test check lint format types unit bench sim demo demo-transcript lock clean

# The runtime exactly as locked (hash-checked), then the bot itself without resolving again.
$(RUNTIME): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(RUNTIME)

# The development tools on top; the locked runtime already satisfies the rest.
$(DEV): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV)

install: $(RUNTIME)  ## production install from requirements.lock, without the dev extras

run: $(RUNTIME)  ## run the bot; with no Slack credentials, the demo against the simulator
	$(BIN)/recordings-bot run

demo: $(RUNTIME)
	$(BIN)/recordings-bot demo

demo-transcript: $(DEV)  ## docs/demo.md: the demo console run on docs/demo-script.txt
	$(BIN)/python -m bot.demo.transcript docs/demo-script.txt docs/demo.md

sim: $(RUNTIME)
	$(BIN)/recordings-bot sim

test: $(DEV) check  ## format check, lint, types, every test

check: lint types unit

lint: $(DEV)
	$(BIN)/ruff format --check bot handlers tests bench
	$(BIN)/ruff check bot handlers tests bench

types: $(DEV)
	$(BIN)/mypy

unit: $(DEV)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --cov=bot --cov=handlers --cov-branch \
		--cov-report=term:skip-covered

bench: $(DEV)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

format: $(DEV)
	$(BIN)/ruff format bot handlers tests bench
	$(BIN)/ruff check --fix bot handlers tests bench

# After changing dependencies in pyproject.toml: re-resolve and re-hash the runtime lock.
lock: $(DEV)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --no-header --quiet -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
