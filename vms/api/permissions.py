"""DRF permission classes shared by the apps: model permissions by action, and per-camera access."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


def requires(*perms: str) -> type[BasePermission]:
    """A permission class that lets through authenticated users holding every one of `perms`."""

    class Requires(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    Requires.__name__ = "Requires_" + "_".join(p.split(".")[1] for p in perms)
    return Requires


def requires_any(*perms: str) -> type[BasePermission]:
    """A permission class that lets through authenticated users holding at least one of `perms`."""

    class RequiresAny(BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_perm(perm) for perm in perms))

    RequiresAny.__name__ = "RequiresAny_" + "_".join(p.split(".")[1] for p in perms)
    return RequiresAny


class ModelPermissionsByAction(BasePermission):
    """view for reads, add/change/delete for writes, taken from `view.permission_model` (app.model)."""

    message = "Your role does not allow this."
    actions = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change",
               "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        app_label, model = view.permission_model.split(".")
        return user.has_perm(f"{app_label}.{self.actions[request.method]}_{model}")
