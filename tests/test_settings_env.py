"""Settings come from VMS_* variables, parsed strictly: a bad value stops start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vms.env import SettingError, database_from_url, env_bool, env_float, env_storage, env_str, storage_from_url

ROOT = Path(__file__).resolve().parent.parent


def test_booleans_are_true_or_false_only(monkeypatch):
    monkeypatch.setenv("VMS_DEBUG", "yes")
    with pytest.raises(SettingError, match="VMS_DEBUG must be 'true' or 'false'"):
        env_bool("VMS_DEBUG", False)


def test_numbers_are_checked(monkeypatch):
    monkeypatch.setenv("VMS_SEGMENT_SECONDS", "ten")
    with pytest.raises(SettingError, match="must be a number"):
        env_float("VMS_SEGMENT_SECONDS", 10.0)
    monkeypatch.setenv("VMS_SEGMENT_SECONDS", "0.1")
    with pytest.raises(SettingError, match="at least 1.0"):
        env_float("VMS_SEGMENT_SECONDS", 10.0, minimum=1.0)


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("VMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("VMS_SECRET_KEY_FILE", str(secret))
    assert env_str("VMS_SECRET_KEY") == "from-a-file"
    monkeypatch.setenv("VMS_SECRET_KEY", "given-directly")
    assert env_str("VMS_SECRET_KEY") == "given-directly"


def test_database_urls():
    assert database_from_url("postgresql://vms:pw@db:5433/vms", Path("x"))["PORT"] == "5433"
    unix = database_from_url("postgresql://vms@/vms?host=/var/run/postgresql", Path("x"))
    assert (unix["HOST"], unix["NAME"], unix["PORT"]) == ("/var/run/postgresql", "vms", "")
    assert database_from_url(None, Path("/tmp/x.sqlite3"))["ENGINE"] == "django.db.backends.sqlite3"
    with pytest.raises(SettingError, match="must start with postgresql://"):
        database_from_url("mysql://db/vms", Path("x"))


def test_the_server_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMS_")}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "VMS_SECRET_KEY (or VMS_SECRET_KEY_FILE) must be set" in result.stderr


def test_a_heartbeat_longer_than_half_the_lease_is_refused():
    """One late heartbeat would let the lease lapse, and every camera of the process stop."""
    env = {**os.environ, "VMS_RECORDER_LEASE_SECONDS": "3", "VMS_RECORDER_HEARTBEAT_SECONDS": "2"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "VMS_RECORDER_HEARTBEAT_SECONDS (2) must be at most half of VMS_RECORDER_LEASE_SECONDS (3)" in result.stderr


def test_storage_urls():
    assert storage_from_url(None) is None
    assert storage_from_url("file:///srv/vms-media") == {"backend": "filesystem", "root": Path("/srv/vms-media")}
    assert storage_from_url("s3://footage/site-a?endpoint=http://10.0.0.5:7480&region=eu-west-1") == {
        "backend": "s3", "bucket": "footage", "prefix": "site-a", "endpoint": "http://10.0.0.5:7480",
        "region": "eu-west-1"}
    assert storage_from_url("s3://footage")["endpoint"] is None
    for url, message in (("ftp://footage/x", "must start with file:// or s3://"),
                         ("file://server/share", "file:///path/to/folder"),
                         ("s3://Foot_Age/x", "must name a bucket"),
                         ("s3://footage?endpoint=10.0.0.5:7480", "endpoint must be http://host:port"),
                         ("s3://footage?bucket=other", "knows only the options endpoint and region"),
                         ("s3://footage?region=a&region=b", "once, with a value")):
        with pytest.raises(SettingError, match=message):
            storage_from_url(url)


def test_the_cold_tier_is_read_like_the_store_and_its_errors_name_it(monkeypatch):
    monkeypatch.setenv("VMS_COLD_STORAGE_URL", "file:///mnt/nas/vms-cold")
    assert env_storage("VMS_COLD_STORAGE") == {"backend": "filesystem", "root": Path("/mnt/nas/vms-cold")}
    monkeypatch.setenv("VMS_COLD_STORAGE_URL", "s3://cold-footage/site?endpoint=http://10.0.0.5:7480")
    with pytest.raises(SettingError, match="VMS_COLD_STORAGE_ACCESS_KEY and VMS_COLD_STORAGE_SECRET_KEY"):
        env_storage("VMS_COLD_STORAGE")
    monkeypatch.setenv("VMS_COLD_STORAGE_ACCESS_KEY", "vms")
    monkeypatch.setenv("VMS_COLD_STORAGE_SECRET_KEY", "secret")
    assert env_storage("VMS_COLD_STORAGE")["bucket"] == "cold-footage"
    monkeypatch.setenv("VMS_COLD_STORAGE_URL", "ftp://nas/vms")
    with pytest.raises(SettingError, match="VMS_COLD_STORAGE_URL must start with file:// or s3://"):
        env_storage("VMS_COLD_STORAGE")


def test_the_server_refuses_an_object_store_without_its_keys(tmp_path):
    env = {**os.environ, "VMS_STORAGE_URL": "s3://footage?endpoint=http://127.0.0.1:9"}
    env.pop("VMS_STORAGE_ACCESS_KEY", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "VMS_STORAGE_ACCESS_KEY and VMS_STORAGE_SECRET_KEY (or their _FILE variants) must be set" in result.stderr
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    env.update(VMS_STORAGE_ACCESS_KEY="vms", VMS_STORAGE_SECRET_KEY_FILE=str(secret))
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c",
                             "from django.conf import settings; print(settings.STORAGE['secret_key'])"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "from-a-file", result.stderr
