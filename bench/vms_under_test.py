"""The VMS a benchmark runs: its VMS_* environment and a throw-away PostgreSQL database, migrated."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"


def set_environment(database: str, media_root: Path, redis_url: str, **extra: str) -> None:
    """The VMS_* settings shared by this process (for the models) and the VMS processes it starts."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="vms.settings",
        VMS_DATABASE_URL=f"{POSTGRES_URL}/{database}",
        VMS_REDIS_URL=redis_url,
        VMS_SECRET_KEY=secrets.token_urlsafe(32),
        VMS_CREDENTIALS_KEY=Fernet.generate_key().decode(),
        VMS_MEDIA_ROOT=str(media_root),
        VMS_MIN_FREE_DISK_GIB="0",
        **extra,
    )


@contextmanager
def bench_database(database: str) -> Iterator[None]:
    """Create and migrate an empty database; drop it afterwards."""

    def recreate(create: bool) -> None:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            if create:
                connection.execute(f"CREATE DATABASE {database}")

    recreate(create=True)
    try:
        # Django reads its settings from the environment, so it is imported only once that is in place.
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield
    finally:
        from django.db import connections

        connections.close_all()
        recreate(create=False)
