# Two entry points for a fresh machine: `make run` (set up and run the VMS) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

export VMS_DATA_ROOT ?= $(CURDIR)/var

# Debian packages the recorder, the tests and the RTSP/ONVIF stand-ins need.
APT_PACKAGES := ffmpeg gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base \
	gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-x gstreamer1.0-tools \
	iproute2 util-linux chromium

.PHONY: run test test-latest lock setup setup-test lint services system-packages

# Python packages come from the lock files in requirements/ (every dependency pinned with its hashes);
# `make lock` refreshes them on purpose from pyproject.toml and requirements/models.in.
LOCKED := --quiet --require-hashes --no-deps
define install_locked
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install $(LOCKED) -r requirements/build.txt
	$(1)/bin/python -m pip install $(LOCKED) -r $(2)
	$(1)/bin/python -m pip install $(LOCKED) -r requirements/models.txt
	$(1)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
endef

$(VENV)/.installed-run: requirements/run.txt requirements/models.txt requirements/build.txt pyproject.toml
	$(call install_locked,$(VENV),requirements/run.txt)
	touch $@

$(VENV)/.installed-test: requirements/test.txt requirements/models.txt requirements/build.txt pyproject.toml
	$(call install_locked,$(VENV),requirements/test.txt)
	touch $@ $(VENV)/.installed-run

lock:
	test -x .venv-lock/bin/uv || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet uv==0.13.9)
	UV=.venv-lock/bin/uv requirements/refresh

FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts \
	frontend/package.json frontend/package-lock.json frontend/tsconfig.json

frontend/dist/index.html: $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

setup: $(VENV)/.installed-run frontend/dist/index.html
setup-test: $(VENV)/.installed-test frontend/dist/index.html

$(VMS_DATA_ROOT)/secret_key:
	mkdir -p $(VMS_DATA_ROOT)
	umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

$(VMS_DATA_ROOT)/credentials_key:
	mkdir -p $(VMS_DATA_ROOT)
	umask 077 && $(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > $@

# The secrets make run generates once, unless the environment gives them.
run: export VMS_SECRET_KEY_FILE ?= $(VMS_DATA_ROOT)/secret_key
run: export VMS_CREDENTIALS_KEY_FILE ?= $(VMS_DATA_ROOT)/credentials_key
run: setup $(VMS_DATA_ROOT)/secret_key $(VMS_DATA_ROOT)/credentials_key
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py bootstrap
	mkdir -p $(VMS_DATA_ROOT)/celery-queue
	@echo "  The VMS runs at http://$(HOST):$(PORT)/  (API docs: /api/docs/). Ctrl-C stops it."
	trap 'kill 0' EXIT; \
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) vms.asgi:application & \
	if [ -n "$$VMS_REDIS_URL" ]; then $(PY) manage.py recorder & $(PY) manage.py analytics & fi; \
	$(VENV)/bin/celery -A vms worker --beat --loglevel=warning --concurrency=2 --queues=celery,redaction \
		--schedule $(VMS_DATA_ROOT)/celerybeat-schedule & \
	wait

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
		--save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
		echo "PostgreSQL or Redis did not start" >&2; exit 1

TEST_ENV = VMS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/vms VMS_REDIS_URL=redis://127.0.0.1:6379/9 \
	VMS_SECRET_KEY=test-secret-key \
	VMS_CREDENTIALS_KEY=$$($(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")

test: setup-test system-packages services
	$(TEST_ENV) $(PY) -m pytest

# Not part of CI: the newest versions pyproject.toml allows, in a venv of their own, so that a release that breaks
# us is seen before the lock takes it in.
test-latest: PY = .venv-latest/bin/python
test-latest: frontend/dist/index.html system-packages services
	test -x $(PY) || $(PYTHON) -m venv .venv-latest
	$(PY) -m pip install --quiet --upgrade --upgrade-strategy eager pip setuptools -e '.[test]'
	$(PY) -m pip install --quiet --no-deps -r requirements/models.in
	$(PY) -m pip list --format=freeze > .venv-latest/versions.txt
	$(TEST_ENV) $(PY) -m pytest

lint: setup-test
	$(VENV)/bin/ruff check .
