"""Writes the audit log: who did what, when, from where, to which camera."""

from __future__ import annotations

import logging

from accounts.models import AuditAction, AuditEntry

log = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The peer address; behind a proxy, set the proxy to pass REMOTE_ADDR (see deploy/)."""
    if request is None:
        return None
    meta = getattr(request, "META", None)
    if meta is not None:
        return meta.get("REMOTE_ADDR") or None
    client = request.get("client") if isinstance(request, dict) else None
    return client[0] if client else None


def record(action: AuditAction, *, request=None, user=None, camera=None, username: str = "", **detail) -> AuditEntry:
    """Add one audit entry. `request` may be a Django request or a Channels scope."""
    if user is None and request is not None:
        user = request.user if hasattr(request, "user") else request.get("user")
    if user is not None and not user.is_authenticated:
        user = None
    user_agent = ""
    if request is not None and hasattr(request, "META"):
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    entry = AuditEntry.objects.create(
        action=action,
        user=user,
        username=user.get_username() if user else username,
        ip=client_ip(request),
        user_agent=user_agent,
        camera=camera,
        camera_name=camera.name if camera else "",
        detail=detail,
    )
    log.info("audit %s by %s camera=%s %s", action, entry.username or "-", entry.camera_name or "-", detail or "")
    return entry
