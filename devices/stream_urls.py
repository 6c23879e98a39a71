"""Checks a camera stream URL and moves credentials out of it, so they are never stored in plain text."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

NETWORK_SCHEMES = ("rtsp", "rtsps")


def split_credentials(url: str) -> tuple[str, str, str]:
    """Return (url without user:password, username, password)."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url, "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username or ""), unquote(parts.password or "")


def validate_stream_url(url: str, *, allow_file: bool) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise ValidationError(f"This is not a valid URL: {exc}") from exc
    if parts.scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise ValidationError("The URL has no host, e.g. rtsp://192.0.2.10:554/stream1")
        return
    if parts.scheme == "file":
        if not allow_file:
            raise ValidationError("Only admins may add cameras that read a file on the server.")
        if not Path(unquote(parts.path)).is_file():
            raise ValidationError(f"There is no file at {unquote(parts.path)} on the server.")
        return
    raise ValidationError("The stream URL must start with rtsp:// or rtsps://.")
