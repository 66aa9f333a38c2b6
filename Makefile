# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint format types unit bench sim demo demo-transcript clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## run the bot; with no Slack credentials, the demo against the simulator
	$(BIN)/recordings-bot run

demo: $(STAMP)
	$(BIN)/recordings-bot demo

demo-transcript: $(STAMP)  ## docs/demo.md: the demo console run on docs/demo-script.txt
	$(BIN)/python -m bot.demo.transcript docs/demo-script.txt docs/demo.md

sim: $(STAMP)
	$(BIN)/recordings-bot sim

test: $(STAMP) check  ## format check, lint, types, every test

check: lint types unit

lint: $(STAMP)
	$(BIN)/ruff format --check bot handlers tests bench
	$(BIN)/ruff check bot handlers tests bench

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --cov=bot --cov=handlers --cov-branch \
		--cov-report=term:skip-covered

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

format: $(STAMP)
	$(BIN)/ruff format bot handlers tests bench
	$(BIN)/ruff check --fix bot handlers tests bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
