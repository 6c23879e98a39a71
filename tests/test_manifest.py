"""Signed manifests: the server signs with its Ed25519 key; the standalone verifier (public key only) and
`manage.py verify_export` say valid, or exactly what does not match when one byte changes."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from redaction import services, signing
from redaction.models import Export, ExportTrack

VERIFY = Path(__file__).resolve().parent.parent / "redaction" / "verify.py"


@pytest.fixture
def signed_export(settings, tmp_path) -> tuple[Path, Path, Path]:
    """An 'export' file, its signed manifest and the public key, as an investigator would hand them over."""
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "signing_key.pem"
    video = tmp_path / "export-7.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40)
    manifest = {"version": 1, "export": 7, "camera": {"id": 1, "name": "Gate"},
                "output": {"file": video.name, "sha256": hashlib.sha256(video.read_bytes()).hexdigest(),
                           "size": video.stat().st_size}}
    manifest_path = tmp_path / "export-7.manifest.json"
    manifest_path.write_text(json.dumps(signing.sign(manifest), indent=2))
    key = tmp_path / "vms-signing-key.pem"
    key.write_text(signing.public_key_pem())
    return video, manifest_path, key


def standalone(video: Path, manifest: Path, key: Path) -> subprocess.CompletedProcess:
    """The verifier run as a copied script: no Django, no project on the path."""
    return subprocess.run([sys.executable, "-I", str(VERIFY), str(video), str(manifest), "--key", str(key)],
                          capture_output=True, text=True, timeout=60, cwd=key.parent)


def test_the_key_is_made_once_readable_by_its_owner_only(signed_export, settings):
    assert settings.SIGNING_KEY_FILE.stat().st_mode & 0o777 == 0o600
    before = settings.SIGNING_KEY_FILE.read_bytes()
    signing.sign({"x": 1})
    assert settings.SIGNING_KEY_FILE.read_bytes() == before
    assert signing.key_fingerprint().startswith("sha256:")


def test_a_genuine_export_verifies_with_the_public_key_alone(signed_export):
    result = standalone(*signed_export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "valid"


def test_one_changed_byte_of_the_video_is_named(signed_export):
    video, manifest, key = signed_export
    data = bytearray(video.read_bytes())
    data[100] ^= 1
    video.write_bytes(bytes(data))
    result = standalone(video, manifest, key)
    assert result.returncode == 1
    assert "NOT VALID" in result.stdout and "The video file's SHA-256 is" in result.stdout
    assert "signature does not match" not in result.stdout


def test_one_changed_byte_of_the_manifest_breaks_the_signature(signed_export):
    video, manifest, key = signed_export
    text = manifest.read_text().replace('"name": "Gate"', '"name": "Gatf"')
    manifest.write_text(text)
    result = standalone(video, manifest, key)
    assert result.returncode == 1
    assert "The signature does not match the manifest" in result.stdout


def test_another_servers_key_is_told_apart(signed_export, tmp_path, settings):
    video, manifest, _key = signed_export
    settings.SIGNING_KEY_FILE = tmp_path / "other" / "signing_key.pem"
    other = tmp_path / "other.pem"
    other.write_text(signing.public_key_pem())
    result = standalone(video, manifest, other)
    assert result.returncode == 1 and "not with this public key" in result.stdout


@pytest.mark.django_db
def test_manage_py_verify_export_says_valid_or_why_not_and_is_audited(signed_export, capsys):
    video, manifest, _key = signed_export
    call_command("verify_export", str(video), str(manifest))
    assert capsys.readouterr().out.strip() == "valid"
    video.write_bytes(video.read_bytes() + b"\0")
    with pytest.raises(CommandError, match="has .* bytes; the manifest says"):
        call_command("verify_export", str(video), str(manifest))
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT_VERIFIED).order_by("id")
    assert [e.detail["valid"] for e in entries] == [True, False]
    assert entries[1].detail["export"] == 7


@pytest.mark.django_db
def test_what_was_kept_by_whom_and_why_is_signed(signed_export, investigator_user, tmp_path):
    """The review's choices are in the signed manifest: changing a kept track's reason, a masked range or a
    followed box breaks the signature."""
    video, manifest_path, key = signed_export
    camera = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:1/gate")
    start = timezone.now()
    export = Export.objects.create(
        camera=camera, start=start, end=start + timedelta(seconds=10), reason="case 7", redact=["faces"],
        requested_by=investigator_user, requested_by_name="ivy-investigator", lead_seconds=0.5, kept_visible=[2],
        masked_ranges=[{"start": 2.0, "end": 3.0}],
        followed=[{"drawn": {"t": 1.0, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1},
                   "boxes": [{"t": 1.0, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1}]}],
        file=video.name, sha256=hashlib.sha256(video.read_bytes()).hexdigest(), file_size=video.stat().st_size)
    # The kept track may have been someone else on frames 3-4 (2.0-2.5 s into the clip): masked, and said so.
    boxes = {"boxes": [{"frame": i, "t": 1.5 + 0.25 * i} for i in range(13)], "uncertain": [[3, 4]]}
    track = {"export": export, "kind": "face", "first": 1.5, "last": 4.5, "boxes": boxes, "thumbnail": b""}
    ExportTrack.objects.create(number=1, **track)
    ExportTrack.objects.create(number=2, kept_by="ivy-investigator", keep_reason="the suspect", **track)
    manifest = services.manifest_of(export, [1])
    assert manifest["redaction"]["kept"] == [{"track": 2, "kind": "face", "first": 1.0, "last": 4.0,
                                              "kept_by": "ivy-investigator", "reason": "the suspect",
                                              "masked_where_unsure": [[1.75, 2.0]]}]
    manifest_path.write_text(json.dumps(signing.sign(manifest), indent=2))
    assert standalone(video, manifest_path, key).stdout.strip() == "valid"
    signed = manifest_path.read_text()
    for original, changed in [('"the suspect"', '"a bystander"'), ('"end": 3.0', '"end": 2.5'),
                              ('"x": 0.1', '"x": 0.2')]:
        assert original in signed
        manifest_path.write_text(signed.replace(original, changed, 1))
        result = standalone(video, manifest_path, key)
        assert "The signature does not match the manifest" in result.stdout, (changed, result.stdout)
