"""API tokens that expire (VMS_TOKEN_TTL_HOURS): issued for a password, kept only as a SHA-256 digest (the key is
shown once), checked on each request by `TokenAuthentication`, listed without their keys and revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken

# Noting every use would write to the database on every request; once a minute is precise enough to tell
# a token in use from a forgotten one.
LAST_USED_EVERY = timedelta(minutes=1)


def digest(key: str) -> str:
    """What is stored of a key. The key is 256 random bits, so a plain hash cannot be reversed by guessing."""
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user` and its key, which is not kept; the user's expired tokens are dropped meanwhile."""
    now = timezone.now()
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, digest=digest(key),
                                    expires_at=now + timedelta(hours=settings.TOKEN_TTL_HOURS))
    return token, key


def revoke_all(user) -> list[tuple[int, str]]:
    """Delete every token of `user` (the sockets opened with them close); the (id, name) of each, by id."""
    revoked = list(ApiToken.objects.filter(user=user).order_by("id").values_list("pk", "name"))
    ApiToken.objects.filter(pk__in=[pk for pk, _name in revoked]).delete()
    return revoked


def usable() -> QuerySet[ApiToken]:
    """The tokens that still let someone in: unexpired, of an active user."""
    return ApiToken.objects.filter(expires_at__gt=timezone.now(), user__is_active=True)


def token_for(key: str) -> ApiToken | None:
    """The usable token with this key, its use noted; None for an unknown, expired or revoked key."""
    token = usable().select_related("user").filter(digest=digest(key)).first()
    now = timezone.now()
    if token is not None and (token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` with an expiring, hashed token; DRF's class parses the header."""

    def authenticate_credentials(self, key: str) -> tuple:
        token = token_for(key)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is unknown, expired or revoked: ask for a new one.")
        return token.user, token
