"""`manage.py bootstrap`: first-run set-up of one box: an admin account (password printed once) and a demo camera."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from accounts.roles import ADMIN
from devices.models import Camera
from video.pattern_clip import make_clip

DEMO_CAMERA = "Demo camera"


class Command(BaseCommand):
    help = "Create the first admin (printing its password once) and a demo camera that loops a generated clip."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Do not add the demo camera.")

    def handle(self, *args, no_demo: bool = False, **options) -> None:
        if not User.objects.filter(is_superuser=True).exists():
            password = secrets.token_urlsafe(12)
            admin = User.objects.create_superuser("admin", password=password)
            admin.groups.add(Group.objects.get(name=ADMIN))
            self.stdout.write(self.style.SUCCESS(
                f"\n  Created the admin account. Log in as  admin  with password  {password}\n"
                "  (shown only this once; change it with: manage.py changepassword admin)\n"))
        if not no_demo and not Camera.objects.filter(name=DEMO_CAMERA).exists():
            clip = make_clip(settings.DATA_ROOT / "demo", width=1280, height=720, fps=25, seconds=30)
            Camera.objects.create(name=DEMO_CAMERA, main_url=clip.as_uri(), retention_days=1, retention_gib=2)
            self.stdout.write(f"  Added '{DEMO_CAMERA}', which loops {clip} in real time.")
