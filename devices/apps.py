"""App configuration of devices; adds the built-in announcement after each migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DevicesConfig(AppConfig):
    name = "devices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from devices.talk import add_built_in_chime

        post_migrate.connect(add_built_in_chime, sender=self, dispatch_uid="devices.add_built_in_chime")
