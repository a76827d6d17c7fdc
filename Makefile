# Horde: every set-up step lives here, so a fresh machine needs only `make run` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.horde-installed
CODE := $(shell find queue webapp worker bots -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 7001
export HF_HUB_OFFLINE ?= 1
export HF_HUB_DISABLE_TELEMETRY ?= 1

.PHONY: install run test lint typecheck pytest services bench clean

install: $(STAMP)

# The full install runs when the project's dependencies change; a new module only re-links the editable tree.
$(VENV)/.deps-installed: pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel
	@if command -v nvidia-smi >/dev/null 2>&1; then \
		echo "CUDA found: installing the CUDA build of torch"; $(PIP) install --quiet torch torchvision; \
	else \
		echo "no CUDA: installing torch==2.14.1 and torchvision==0.29.1 (spandrel and open_clip need torchvision)"; \
		$(PIP) install --quiet torch==2.14.1 torchvision==0.29.1; \
	fi
	$(PIP) install --quiet -e ".[worker,alchemy,bots,dev]" --config-settings editable_mode=strict
	@touch $@

$(STAMP): $(VENV)/.deps-installed $(CODE)
	$(PIP) install --quiet --no-deps --no-build-isolation -e . --config-settings editable_mode=strict
	@touch $@

run: install
	$(VENV)/bin/horde run --host $(HOST) --port $(PORT) --worker tiny

# What the tests need beyond the venv: Debian's Chromium, PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379
# (the shared rate limits' tests), Debian's HAProxy (the scale-out test), and a Python 3.12 venv
# with the real horde-sdk client (.venv-sdk) for the contract tests.
services:
	@bash tests/contract/setup_sdk_venv.sh
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; [ $$i = 30 ] && echo "PostgreSQL did not start" && exit 1; done; true
	@command -v redis-server >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null)
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null
	@command -v haproxy >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq haproxy >/dev/null)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy -p horde.queue -p horde.webapp -p horde.worker -p horde.bots
	$(VENV)/bin/mypy tests

# Browser tests get their own run: Playwright's sync API leaves an event loop running in its process, which
# breaks the asyncio tests that would share that process.
pytest: install services
	$(VENV)/bin/pytest -n 2 -m "not gpu and not browser"
	$(VENV)/bin/pytest -m browser

test: install services lint typecheck pytest

bench: install services
	$(PY) bench/queue.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
