"""`manage.py verify_export FILE MANIFEST`: check an export against its signed manifest with this server's key."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import audit
from accounts.models import AuditAction
from redaction import signing
from redaction.verify import problems


class Command(BaseCommand):
    help = "Say whether an exported MP4 and its manifest are as the server signed them, or exactly what differs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("video", type=Path)
        parser.add_argument("manifest", type=Path)

    def handle(self, *args, video: Path, manifest: Path, **options) -> None:
        try:
            signed = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the manifest {manifest}: {exc}") from None
        if not video.is_file():
            raise CommandError(f"no such video file: {video}")
        found = problems(video, signed, signing.private_key().public_key())
        export = signed.get("manifest", {}).get("export") if isinstance(signed, dict) else None
        audit.record(AuditAction.EXPORT_VERIFIED, username="manage.py", export=export, file=video.name,
                     valid=not found, problems=found)
        if found:
            raise CommandError("NOT VALID\n" + "\n".join(f"- {problem}" for problem in found))
        self.stdout.write("valid")
