"""Strict parsing of the VMS_* environment variables; a bad value stops start-up with a clear message."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class SettingError(RuntimeError):
    """A VMS_* variable has a value the server cannot use."""


def _raw(name: str) -> str | None:
    """Return the variable or, when it is unset, the contents of the file named by NAME_FILE (for secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise SettingError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}") from exc
    return None


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value in ("true", "false"):
        return value == "true"
    raise SettingError(f"{name} must be 'true' or 'false', not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated networks in CIDR form ("10.0.0.0/8, fd00::/8"; a bare address is one host); unset: none."""
    value = _raw(name)
    if value is None:
        return ()
    networks = []
    for entry in (item.strip() for item in value.split(",")):
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError as exc:
            raise SettingError(f"{name} must be networks such as 10.0.0.0/8 or fd00::/8 separated by commas; "
                               f"{entry!r} is not one ({exc})") from None
    return tuple(networks)


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return (Path(value) if value else default).expanduser().resolve()


def database_from_url(url: str | None, sqlite_path: Path) -> dict:
    """Django DATABASES['default'] from postgresql://user:pass@host:port/name, or SQLite when unset.

    As in libpq, `?host=/var/run/postgresql` names the folder of the server's unix socket instead of a host."""
    if url is None:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_path),
                "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"}}
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SettingError(f"VMS_DATABASE_URL must start with postgresql://, not {parts.scheme}://")
    if not parts.path.strip("/"):
        raise SettingError("VMS_DATABASE_URL must name a database, e.g. postgresql://vms@127.0.0.1:5432/vms")
    socket_folder = parse_qs(parts.query).get("host", [""])[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.strip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": socket_folder or parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def redis_url(name: str) -> str | None:
    value = _raw(name)
    if value is None:
        return None
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise SettingError(f"{name} must start with redis://, rediss:// or unix://, not {value!r}")
    return value


_STORAGE_OPTIONS = {"endpoint", "region"}
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def storage_from_url(url: str | None, name: str = "VMS_STORAGE_URL") -> dict | None:
    """Where recordings and exports are kept: None when unset (the media folder, as on one box),
    {"backend": "filesystem", "root"} from file:///path, or {"backend": "s3", "bucket", "prefix", "endpoint",
    "region"} from s3://bucket/prefix?endpoint=http://host:port&region=... (credentials come apart)."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query or not parts.path.startswith("/"):
            raise SettingError(f"{name} must name a folder as file:///path/to/folder, not {url!r}")
        return {"backend": "filesystem", "root": Path(unquote(parts.path)).resolve()}
    if parts.scheme != "s3":
        raise SettingError(f"{name} must start with file:// or s3://, not {url!r}")
    if not _BUCKET.fullmatch(parts.netloc):
        raise SettingError(f"{name} must name a bucket (3 to 63 lower-case letters, digits, dots and "
                           f"hyphens) as s3://bucket/prefix, not {parts.netloc!r}")
    try:
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise SettingError(f"{name}'s options must read ?endpoint=...&region=..., "
                           f"not {parts.query!r}") from None
    unknown = set(options) - _STORAGE_OPTIONS
    if unknown:
        raise SettingError(f"{name} knows only the options endpoint and region, not {', '.join(unknown)}")
    if any(len(values) != 1 or not values[0] for values in options.values()):
        raise SettingError(f"{name} gives each of endpoint and region once, with a value")
    endpoint = options.get("endpoint", [None])[0]
    if endpoint is not None:
        where = urlsplit(endpoint)
        if where.scheme not in ("http", "https") or not where.hostname or where.path not in ("", "/"):
            raise SettingError(f"{name}'s endpoint must be http://host:port or https://host, "
                               f"not {endpoint!r}")
    return {"backend": "s3", "bucket": parts.netloc, "prefix": unquote(parts.path).strip("/"),
            "endpoint": endpoint, "region": options.get("region", ["us-east-1"])[0]}


def env_storage(name: str) -> dict | None:
    """A store named by NAME_URL (storage_from_url), with NAME_ACCESS_KEY and NAME_SECRET_KEY (or their _FILE
    variants) for an s3:// one."""
    config = storage_from_url(env_str(f"{name}_URL"), f"{name}_URL")
    keys = (env_str(f"{name}_ACCESS_KEY"), env_str(f"{name}_SECRET_KEY"))
    if config is not None and config["backend"] == "s3":
        if not all(keys):
            raise SettingError(f"{name}_ACCESS_KEY and {name}_SECRET_KEY (or their _FILE variants) must be set for "
                               f"an s3:// {name}_URL")
        config["access_key"], config["secret_key"] = keys
    elif any(keys):
        raise SettingError(f"{name}_ACCESS_KEY and {name}_SECRET_KEY are for an s3:// {name}_URL only")
    return config
