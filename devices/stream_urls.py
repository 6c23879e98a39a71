"""Checks a camera stream URL an admin typed: a network camera, or (admins only) a file on the server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError

NETWORK_SCHEMES = ("rtsp", "rtsps")


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
