"""Who a websocket belongs to, and whether they still may keep it.

A browser's socket carries its session cookie. Other clients send an API token in the `Authorization: Token`
header or, when they cannot set headers, a single-use ticket (`?ticket=`, from POST /api/v1/auth/ws-ticket/):
no long-lived secret ever travels in a URL. Consumers that use `AccessWatchingConsumer` join the user's access
group and, on each "access.changed" (their role, account, password, camera access or tokens changed) and when the
socket's token expires, check again and close with FORBIDDEN when the user may no longer have what the socket shows."""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.utils import timezone

from accounts import tickets, tokens
from vms.realtime import access_group

FORBIDDEN = 4403


def _active_user(user_id: int, token_id: int | None) -> User | None:
    """The active user with this id, if the token the socket was opened with (if any) is still usable."""
    if token_id is not None and not tokens.usable().filter(pk=token_id, user_id=user_id).exists():
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@database_sync_to_async
def _holder_of_ticket(ticket: str) -> tuple[User, int | None] | None:
    holder = tickets.redeem(ticket)
    user = _active_user(holder["user"], holder["token"]) if holder else None
    return (user, holder["token"]) if user else None


@database_sync_to_async
def _holder_of_key(key: str) -> tuple[User, int | None] | None:
    token = tokens.token_for(key)
    return (token.user, token.pk) if token else None


class TicketAuthMiddleware:
    """Runs inside the session middleware: a valid ticket or header token stands in for an anonymous session.

    `scope["api_token_id"]` names the API token behind the socket (None for a session)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if not getattr(scope.get("user"), "is_authenticated", False):
            holder = await self._holder(scope)
            if holder is not None:
                scope = dict(scope, user=holder[0], api_token_id=holder[1])
        return await self.inner(scope, receive, send)

    @staticmethod
    async def _holder(scope) -> tuple[User, int | None] | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.startswith(b"Token "):
                return await _holder_of_key(value[6:].decode(errors="replace"))
        ticket = parse_qs(scope.get("query_string", b"").decode()).get("ticket", [""])[0]
        return await _holder_of_ticket(ticket) if ticket else None


def _token_expires_at(token_id: int) -> datetime | None:
    return tokens.usable().filter(pk=token_id).values_list("expires_at", flat=True).first()


class AccessWatchingConsumer:
    """Mixin for websocket consumers: re-checks the user on every access change, and when the API token the socket
    was opened with expires; closes when they lost it.

    The access group is joined before connect() runs its checks, so no change can slip in between."""

    token_expiry: asyncio.TimerHandle | None = None
    # The user's password as of the handshake (Django's session auth hash): a new password closes the socket.
    password_stamp = ""

    async def websocket_connect(self, message: dict) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.groups = [*self.groups, access_group(user.pk)]
            self.password_stamp = user.get_session_auth_hash()
        token_id = self.scope.get("api_token_id")
        expires_at = await database_sync_to_async(_token_expires_at)(token_id) if token_id is not None else None
        if expires_at is not None:
            self.token_expiry = asyncio.get_running_loop().call_later(
                (expires_at - timezone.now()).total_seconds(), lambda: asyncio.ensure_future(self.access_changed({})))
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict) -> None:
        if self.token_expiry is not None:
            self.token_expiry.cancel()
        await super().websocket_disconnect(message)

    async def access_changed(self, event: dict) -> None:
        user = await database_sync_to_async(_active_user)(self.scope["user"].pk, self.scope.get("api_token_id"))
        if user is None or user.get_session_auth_hash() != self.password_stamp or not await self.still_allowed(user):
            await self.close(code=FORBIDDEN)

    async def still_allowed(self, user: User) -> bool:
        """Whether `user`, as the database has them now, may keep this socket; may adjust what it relays."""
        return True
