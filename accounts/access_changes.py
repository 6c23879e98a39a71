"""Tells a user's open websockets to check again when what they may see changed: their role (groups), their
account (deactivated, deleted), camera access given to them or to a group of theirs, or one of their API tokens
revoked. Sent after the change commits, so the sockets read the new state."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import ApiToken, CameraAccess
from vms import realtime


def announce(user_ids: Iterable[int]) -> None:
    """After the current transaction commits, send "access.changed" to every socket of these users."""
    user_ids = sorted(set(user_ids))

    def send() -> None:
        for user_id in user_ids:
            realtime.publish(realtime.access_group(user_id), "access.changed", {})

    if user_ids:
        transaction.on_commit(send)


@receiver(post_save, sender=User, dispatch_uid="accounts.access_changes.user_saved")
def user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    # A login only stamps last_login: nothing a socket depends on.
    if not created and set(update_fields or ()) != {"last_login"}:
        announce([instance.pk])


@receiver(post_delete, sender=User, dispatch_uid="accounts.access_changes.user_deleted")
def user_deleted(sender, instance: User, **kwargs) -> None:
    announce([instance.pk])


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts.access_changes.roles_changed")
def roles_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        announce([instance.pk])
    elif reverse and action in ("post_add", "post_remove"):
        announce(pk_set)
    elif reverse and action == "pre_clear":  # afterwards nobody is left in the group to tell
        announce(instance.user_set.values_list("pk", flat=True))


@receiver(post_save, sender=CameraAccess, dispatch_uid="accounts.access_changes.access_granted")
@receiver(post_delete, sender=CameraAccess, dispatch_uid="accounts.access_changes.access_revoked")
def camera_access_changed(sender, instance: CameraAccess, **kwargs) -> None:
    if instance.user_id is not None:
        announce([instance.user_id])
    else:
        announce(User.objects.filter(groups=instance.group_id).values_list("pk", flat=True))


@receiver(post_delete, sender=ApiToken, dispatch_uid="accounts.access_changes.token_revoked")
def token_revoked(sender, instance: ApiToken, **kwargs) -> None:
    announce([instance.user_id])

