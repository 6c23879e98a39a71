"""`manage.py bootstrap`: first-run set-up of one box: an admin account (password printed once) and a demo camera
that shows what the VMS does: people walking, analytics on, a loitering rule that fires, a privacy mask."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.roles import ADMIN
from analytics.choices import Condition, Severity, ZoneKind
from analytics.models import Rule, Zone
from devices.choices import MaskStyle
from devices.models import Camera, PrivacyMask
from video import demo_scene

DEMO_CAMERA = "Demo camera"
DEMO_MASK_COLOR = "#1e3a8a"  # dark blue: plainly a mask, unlike anything in the scene


class Command(BaseCommand):
    help = "Create the first admin (printing its password once) and a demo camera with analytics and a mask."

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
            clip = demo_scene.demo_clip(settings.DATA_ROOT / "demo")
            add_demo_camera(clip.as_uri())
            self.stdout.write(
                f"  Added '{DEMO_CAMERA}', which loops {clip} in real time: people walk across a plaza, and each "
                f"minute one stands in the loitering area; after {demo_scene.DWELL_SECONDS:g} s their box turns red "
                "and an alarm rings. The building's windows are behind a privacy mask.")


@transaction.atomic
def add_demo_camera(url: str) -> Camera:
    camera = Camera.objects.create(name=DEMO_CAMERA, main_url=url, retention_days=1, retention_gib=2,
                                   analytics_enabled=True)
    PrivacyMask.objects.create(camera=camera, name="Windows", points=[list(p) for p in demo_scene.PRIVACY_MASK],
                               style=MaskStyle.SOLID, color=DEMO_MASK_COLOR)
    zone = Zone.objects.create(camera=camera, name="Loitering area", kind=ZoneKind.AREA,
                               points=[list(p) for p in demo_scene.LOITERING_ZONE])
    Rule.objects.create(camera=camera, name="Loitering", condition=Condition.DWELL, zone=zone,
                        object_classes=["person"], dwell_seconds=demo_scene.DWELL_SECONDS, severity=Severity.HIGH,
                        raise_alarm=True)
    return camera
