"""Encryption at rest of camera passwords, with the Fernet key from VMS_CREDENTIALS_KEY."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    if not settings.CREDENTIALS_KEY:
        raise ImproperlyConfigured("VMS_CREDENTIALS_KEY is not set, so camera passwords cannot be stored")
    try:
        return Fernet(settings.CREDENTIALS_KEY.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(
            "VMS_CREDENTIALS_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode() if password else ""


def decrypt_password(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A camera password cannot be decrypted: VMS_CREDENTIALS_KEY differs from the key it was stored with"
        ) from exc
