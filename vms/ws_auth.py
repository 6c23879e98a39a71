"""Lets API clients open websockets with their token (`?token=<key>` or a `Authorization: Token` header)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token


@database_sync_to_async
def _user_for(key: str):
    token = Token.objects.select_related("user").filter(key=key, user__is_active=True).first()
    return token.user if token else None


class TokenAuthMiddleware:
    """Runs inside the session middleware: a valid token replaces an anonymous session user."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value.startswith(b"Token "):
                key = value[6:].decode()
        if key and not getattr(scope.get("user"), "is_authenticated", False):
            user = await _user_for(key)
            if user is not None:
                scope = dict(scope, user=user)
        return await self.inner(scope, receive, send)
