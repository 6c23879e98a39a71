"""The server's Ed25519 signing key: loaded from VMS_SIGNING_KEY_FILE, made there on first use if missing.

Every node that renders exports must share the one key file, so that one public key verifies them all."""

from __future__ import annotations

import base64
import os
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from redaction.verify import canonical, fingerprint

_lock = threading.Lock()


def private_key() -> Ed25519PrivateKey:
    path = settings.SIGNING_KEY_FILE
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            # Created readable by the owner only, and never overwritten if another process won the race.
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_pem() -> str:
    return private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_fingerprint() -> str:
    return fingerprint(private_key().public_key())


def sign(manifest: dict) -> dict:
    """The manifest with its signature, as stored beside the export and served to whoever downloads it."""
    key = private_key()
    return {"manifest": manifest, "signature": {
        "algorithm": "Ed25519", "key_fingerprint": fingerprint(key.public_key()),
        "value": base64.b64encode(key.sign(canonical(manifest))).decode(),
    }}
