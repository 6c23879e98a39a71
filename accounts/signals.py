"""Audits browser logins, logouts and failed logins, revokes a user's API tokens when their password changes, and
keeps the role groups in step after migrate."""

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_migrate, post_save, pre_save
from django.dispatch import receiver

from accounts import audit, tokens
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


@receiver(pre_save, sender=User, dispatch_uid="accounts.signals.note_password_change")
def note_password_change(sender, instance: User, update_fields=None, **kwargs) -> None:
    # Django re-hashes a password it checked when its hasher's settings changed, saving only that field: the same
    # password, not a change. A change of password saves the whole user (the API, changepassword, the admin).
    if instance.pk is None or update_fields is not None:
        instance._password_changed = False
        return
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=User, dispatch_uid="accounts.signals.revoke_tokens_on_password_change")
def revoke_tokens_on_password_change(sender, instance: User, created: bool, **kwargs) -> None:
    """A new password shuts out whoever had the old one: Django ends the user's other sessions (their auth hash
    changes), this ends their API tokens, and their websockets close (vms.ws_auth compares the hash)."""
    if created or not getattr(instance, "_password_changed", False):
        return
    instance._password_changed = False
    revoked = tokens.revoke_all(instance)
    if revoked:
        audit.record(AuditAction.TOKENS_REVOKED, target=instance.username, reason="password changed",
                     token_ids=[pk for pk, _name in revoked], token_names=[name for _pk, name in revoked])


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    if sender.name == "accounts":
        sync_roles()


post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
