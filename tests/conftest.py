"""Shared fixtures: users of each role with API clients, cameras, and an isolated recordings folder."""

from __future__ import annotations

import subprocess

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from accounts import tokens
from accounts.roles import ADMIN, INVESTIGATOR, OPERATOR
from devices.models import Camera

pytest_plugins = ["tests.standins.fixtures"]

PASSWORD = "correct horse battery"
ROLES = (ADMIN, OPERATOR, INVESTIGATOR)


@pytest.fixture(autouse=True)
def recordings_root(settings, tmp_path):
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDINGS_ROOT.mkdir()
    settings.MIN_FREE_DISK_GIB = 0
    return settings.RECORDINGS_ROOT


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def api_key_for(user: User) -> str:
    """The key of a new API token of `user`, for `Authorization: Token <key>`."""
    return tokens.issue(user, "test")[1]


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


@pytest.fixture
def admin_user(db) -> User:
    return make_user("alice-admin", ADMIN)


@pytest.fixture
def operator_user(db) -> User:
    return make_user("oscar-operator", OPERATOR)


@pytest.fixture
def investigator_user(db) -> User:
    return make_user("ivy-investigator", INVESTIGATOR)


@pytest.fixture
def admin_client(admin_user) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def operator_client(operator_user) -> APIClient:
    return client_for(operator_user)


@pytest.fixture
def investigator_client(investigator_user) -> APIClient:
    return client_for(investigator_user)


@pytest.fixture
def camera(db) -> Camera:
    cam = Camera(name="Loading dock", main_url="rtsp://127.0.0.1:8554/dock", username="viewer")
    cam.password = "s3cret-dock"
    cam.save()
    return cam


def grant(camera: Camera, *, user: User | None = None, group: str | None = None) -> None:
    from accounts.models import CameraAccess

    CameraAccess.objects.create(camera=camera, user=user, group=Group.objects.get(name=group) if group else None)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB filesystem (tmpfs) for the recordings: a real full disk, undone after the test."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


@pytest.fixture
def fast_recorder(settings):
    """Short segments, leases and retries, so that a recorder in the test's own process reacts within seconds."""
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 2.0
    settings.STORAGE_RETRY_MAX_SECONDS = 2.0
