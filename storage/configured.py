"""The stores the settings name (VMS_STORAGE_URL): one for recordings, one for exports. Keys are the paths the
index keeps: a Segment's `path`, an Export's `file`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from storage import Store
from storage.filesystem import FilesystemStore
from storage.s3 import S3Store


def recordings_store() -> Store:
    """Where indexed segments are: RECORDINGS_ROOT itself unless VMS_STORAGE_URL names another place."""
    return _store("recordings", settings.RECORDINGS_ROOT)


def exports_store() -> Store:
    """Where rendered exports are: EXPORTS_ROOT itself unless VMS_STORAGE_URL names another place."""
    return _store("exports", settings.EXPORTS_ROOT)


def _store(area: str, media_folder: Path) -> Store:
    config = settings.STORAGE
    if config is None:
        return _filesystem(media_folder)
    if config["backend"] == "filesystem":
        return _filesystem(config["root"] / area)
    return _bucket(config["bucket"], "/".join(part for part in (config["prefix"], area) if part),
                   config["endpoint"], config["region"], config["access_key"], config["secret_key"])


@lru_cache(maxsize=8)
def _filesystem(root: Path) -> FilesystemStore:
    return FilesystemStore(root)


@lru_cache(maxsize=8)
def _bucket(bucket: str, prefix: str, endpoint: str | None, region: str, access_key: str,
            secret_key: str) -> S3Store:
    """One client per bucket and prefix: making one costs tens of milliseconds."""
    return S3Store(bucket=bucket, prefix=prefix, endpoint=endpoint, region=region, access_key=access_key,
                   secret_key=secret_key)
