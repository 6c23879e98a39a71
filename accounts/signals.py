"""Audits browser logins, logouts and failed logins, and keeps the role groups in step after migrate."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from accounts import audit
from accounts.models import AuditAction
from accounts.roles import sync_roles


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs) -> None:
    audit.record(AuditAction.LOGIN, request=request, user=user, method="session")


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(AuditAction.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs) -> None:
    audit.record(AuditAction.LOGIN_FAILED, request=request, username=str(credentials.get("username", ""))[:150])


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    if sender.name == "accounts":
        sync_roles()


post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
