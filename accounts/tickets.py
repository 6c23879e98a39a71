"""Websocket tickets: a random key worth one websocket connection, for TICKET_SECONDS, for clients that can send
neither a cookie nor a header with the handshake. A URL is logged by proxies and servers; a used or stale ticket
in a log opens nothing, where a long-lived token would.

Tickets live in the Django cache: Redis when VMS_REDIS_URL is set (shared by every web node), else the web
process's memory, which is enough on one box, where one web process serves both the API and the websockets."""

from __future__ import annotations

import secrets

from django.core.cache import cache

from accounts.tokens import digest

TICKET_SECONDS = 30
_KEY_PREFIX = "vms:ws-ticket:"


def issue(user, token_id: int | None) -> str:
    """A new ticket for `user`; `token_id` is the API token it was asked with, so revoking that ends its sockets."""
    ticket = secrets.token_urlsafe(32)
    cache.set(_KEY_PREFIX + digest(ticket), {"user": user.pk, "token": token_id}, TICKET_SECONDS)
    return ticket


def redeem(ticket: str) -> dict | None:
    """Who the ticket was issued to, {"user": id, "token": id or None}, the first time only; else None."""
    key = _KEY_PREFIX + digest(ticket)
    holder = cache.get(key)
    # Only the caller whose delete removed the key may use it: of two sockets racing with one ticket, one wins.
    if holder is None or not cache.delete(key):
        return None
    return holder
