"""Verify an export offline: the MP4 and its signed manifest, with nothing but the server's public key.

Standalone on purpose (the standard library and `cryptography` only): copy this file and the public key
(GET /api/v1/signing-key/) to any machine and run
    python verify.py export-5.mp4 export-5.manifest.json --key vms-signing-key.pem
It prints "valid" and exits 0, or says exactly what does not match and exits 1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(manifest: dict) -> bytes:
    """The bytes the signature covers: the manifest as JSON with sorted keys and no spaces, in UTF-8."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(video: Path, signed: dict, public_key: Ed25519PublicKey) -> list[str]:
    """What does not match, in plain words; an empty list means the export is valid."""
    try:
        manifest, signature = signed["manifest"], signed["signature"]
        value = base64.b64decode(signature["value"], validate=True)
    except (KeyError, TypeError, ValueError):
        return ["The manifest is not a signed VMS manifest (it lacks its manifest or signature part)."]
    found = []
    if signature.get("algorithm") != "Ed25519":
        found.append(f"The signature's algorithm is {signature.get('algorithm')!r}, not Ed25519.")
    if signature.get("key_fingerprint") != fingerprint(public_key):
        found.append(f"The manifest was signed with key {signature.get('key_fingerprint')}, "
                     f"not with this public key ({fingerprint(public_key)}).")
    try:
        public_key.verify(value, canonical(manifest))
    except InvalidSignature:
        found.append("The signature does not match the manifest: the manifest was changed after signing, "
                     "or signed with another key.")
    output = manifest.get("output", {}) if isinstance(manifest, dict) else {}
    size, digest = video.stat().st_size, file_sha256(video)
    if output.get("size") != size:
        found.append(f"The video file has {size} bytes; the manifest says {output.get('size')}.")
    if output.get("sha256") != digest:
        found.append(f"The video file's SHA-256 is {digest}; the manifest says {output.get('sha256')}.")
    return found


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a VMS export against its signed manifest.")
    parser.add_argument("video", type=Path, help="the exported MP4")
    parser.add_argument("manifest", type=Path, help="its manifest (JSON)")
    parser.add_argument("--key", type=Path, required=True, help="the server's public key (PEM)")
    args = parser.parse_args(argv)
    try:
        signed = json.loads(args.manifest.read_text(encoding="utf-8"))
        found = problems(args.video, signed, load_public_key(args.key))
    except (OSError, ValueError) as exc:
        print(f"cannot verify: {exc}")
        return 1
    if found:
        print("NOT VALID")
        for problem in found:
            print(f"- {problem}")
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
