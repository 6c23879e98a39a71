"""The stores the settings name: one for recordings (VMS_STORAGE_URL, the hot tier), one for exports, and the cold
tier of recordings (VMS_COLD_STORAGE_URL) when there is one. Keys are the paths the index keeps: a Segment's `path`,
an Export's `file`; a segment's key is the same in either tier."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from storage import Store
from storage.filesystem import FilesystemStore
from storage.s3 import S3Store


def recordings_store() -> Store:
    """Where indexed segments are: RECORDINGS_ROOT itself unless VMS_STORAGE_URL names another place."""
    return _store("recordings", settings.RECORDINGS_ROOT, settings.STORAGE)


def cold_store() -> Store | None:
    """Where recordings move once they are old (VMS_COLD_STORAGE_URL); None when there is one tier only."""
    if settings.COLD_STORAGE is None:
        return None
    return _store("recordings", settings.RECORDINGS_ROOT, settings.COLD_STORAGE)


def tier_store(tier: str) -> Store:
    """The store of a tier: "hot" or "cold" (a Segment's `tier`)."""
    if tier == "hot":
        return recordings_store()
    store = cold_store()
    if store is None:
        raise LookupError("a segment is in the cold tier, but VMS_COLD_STORAGE_URL is not set")
    return store


def exports_store() -> Store:
    """Where rendered exports are: EXPORTS_ROOT itself unless VMS_STORAGE_URL names another place."""
    return _store("exports", settings.EXPORTS_ROOT, settings.STORAGE)


def _store(area: str, media_folder: Path, config: dict | None) -> Store:
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
