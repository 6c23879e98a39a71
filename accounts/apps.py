"""App configuration of accounts; connects the audit of logins and the notices of access changes to sockets."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import access_changes, signals  # noqa: F401  (connect their signal receivers)
