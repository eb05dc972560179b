# The two commands: `make run` starts the store, `make test` runs every test.
# Both install what they need into .venv on first use; later runs reuse it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
export AGORA_TEST_CHROMIUM ?= $(CHROMIUM)
# llama.cpp must not tune for this CPU: it advertises AMX, whose tile instructions fault (SIGILL).
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: run test install install-dev chromium messages clean

run: $(VENV)/.installed ## Install, migrate, seed the demo store once, serve on http://127.0.0.1:8000
	$(BIN)/agora migrate
	$(BIN)/agora seed-demo --if-empty
	$(BIN)/agora serve

test: $(VENV)/.installed-dev chromium ## Install test tools and run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Agora needs Python 3.11 or newer; set PYTHON=python3.11" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes (the llama.cpp build takes minutes once).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing Agora (the first time builds llama.cpp, about 6 minutes on 2 cores)..."
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

chromium: ## Browser tests drive Debian's Chromium; Playwright never downloads one
	@if ! command -v $(CHROMIUM) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium'" \
			     "(or set CHROMIUM=/path/to/chromium)."; exit 1; \
		fi; \
	fi

messages: $(VENV)/.installed-dev ## Re-extract UI strings and merge them into the French catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d src/agora/locales -D messages --omit-header --ignore-obsolete

clean: ## Remove the virtualenv (keeps your data in var/)
	rm -rf $(VENV)
