"""Access to a camera's video without its privacy masks: for users with `view_unmasked`, one reason-given and
audited access at a time, carried by a short-lived signed token in the playlist and live socket URLs.

The token may travel in a URL because it is not a login: it counts only beside its own user's session or API
token, so one read from a proxy's log lets nobody in."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core import signing
from django.utils import timezone

ACCESS_MINUTES = 15
_SALT = "vms.unmasked-access"


def live_key(camera_id: int) -> str:
    """The live fan-out's name for a camera's unmasked stream."""
    return f"{camera_id}:unmasked"


def issue(user, camera_id: int) -> tuple[str, datetime]:
    token = signing.TimestampSigner(salt=_SALT).sign(f"{user.pk}:{camera_id}")
    return token, timezone.now() + timedelta(minutes=ACCESS_MINUTES)


def allows(token: str, user, camera_id: int) -> bool:
    """Whether `token` is this user's unexpired access to this camera (and they may still see unmasked video)."""
    if not token or not user.is_authenticated or not user.has_perm("devices.view_unmasked"):
        return False
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=ACCESS_MINUTES * 60)
    except signing.BadSignature:
        return False
    return value == f"{user.pk}:{camera_id}"
