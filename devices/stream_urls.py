"""Checks a camera stream URL an admin typed: a network camera, or (admins only) a file on the server;
and where the server may connect to for it (vms/outbound.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from video.source import RTSP_DEFAULT_PORTS
from vms import outbound

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
        try:
            outbound.destination(parts.hostname, parts.port or RTSP_DEFAULT_PORTS[parts.scheme], "camera",
                                 settings.OUTBOUND_ALLOW)
        except outbound.DestinationDenied as exc:
            raise ValidationError(str(exc)) from exc
        except OSError:
            pass  # A camera whose name does not resolve yet may still be saved: the recorder says it is unreachable.
        return
    if parts.scheme == "file":
        if not allow_file:
            raise ValidationError("Only admins may add cameras that read a file on the server.")
        if not Path(unquote(parts.path)).is_file():
            raise ValidationError(f"There is no file at {unquote(parts.path)} on the server.")
        return
    raise ValidationError("The stream URL must start with rtsp:// or rtsps://.")


def pinned_stream_url(url: str, allow: Sequence[outbound.Network]) -> str:
    """The stream URL with its host replaced by an address the outbound policy allows for cameras, so the
    stream is opened where it was checked; a file URL as it is. Raises outbound.DestinationDenied, or
    socket.gaierror when the host name does not resolve."""
    parts = urlsplit(url)
    if parts.scheme not in NETWORK_SCHEMES:
        return url
    target = outbound.destination(parts.hostname or "", parts.port or RTSP_DEFAULT_PORTS[parts.scheme], "camera",
                                  allow)
    return outbound.url_at(url, target.addresses[0])
