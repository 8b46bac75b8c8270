# Digit Lab on a fresh machine with Python 3.11: `make run` starts the app, `make test` runs every test.
# Both first build .venv from the requirements, and build it again only when a requirements file changed.
#
#   make test PYTEST_ARGS="tests/core -x"   runs part of the suite (default: all of tests/)
#   make run PYTHON=python3.11              builds .venv with another interpreter

PYTHON ?= python3
PYTEST_ARGS ?= tests
VENV := .venv
# Written after a successful install, so a failed or interrupted one is retried next time.
INSTALLED := $(VENV)/.requirements-installed

.PHONY: run test

run: $(INSTALLED)
	$(VENV)/bin/streamlit run Home.py

# The browser tests drive Debian's Chromium; without it they skip (fail under CI=true), the rest still run.
test: $(INSTALLED)
	@command -v chromium >/dev/null || echo "Chromium not found: the browser tests will not run. Install it with: sudo apt-get install chromium"
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@
