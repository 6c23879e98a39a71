"""Serializers of logins, API tokens, users (with their role), camera access entries and audit entries."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, User
from rest_framework import serializers

from accounts.models import ApiToken, AuditEntry, CameraAccess
from accounts.roles import ROLE_PERMISSIONS, role_of


class UserSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=list(ROLE_PERMISSIONS), allow_null=True, required=False)
    password = serializers.CharField(write_only=True, required=False, trim_whitespace=False,
                                     style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_active", "role", "password",
                  "last_login", "date_joined"]
        read_only_fields = ["last_login", "date_joined"]

    def to_representation(self, user: User) -> dict:
        data = super().to_representation(user)
        data["role"] = role_of(user)
        return data

    def validate_password(self, value: str) -> str:
        password_validation.validate_password(value, self.instance)
        return value

    def _apply(self, user: User, validated_data: dict) -> User:
        role = validated_data.pop("role", ...)
        password = validated_data.pop("password", None)
        for field, value in validated_data.items():
            setattr(user, field, value)
        if password:
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.save()
        if role is not ...:
            user.groups.remove(*Group.objects.filter(name__in=list(ROLE_PERMISSIONS)))
            if role:
                user.groups.add(Group.objects.get(name=role))
        return user

    def create(self, validated_data: dict) -> User:
        return self._apply(User(), validated_data)

    def update(self, user: User, validated_data: dict) -> User:
        return self._apply(user, validated_data)


class CameraAccessSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False,
                                        allow_null=True)
    group = serializers.SlugRelatedField(slug_field="name", queryset=Group.objects.all(), required=False,
                                         allow_null=True)

    class Meta:
        model = CameraAccess
        fields = ["id", "camera", "user", "group"]
        # The unique-together validators would require both user and group; validate() checks duplicates.
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("user")) == bool(attrs.get("group")):
            raise serializers.ValidationError("Give either a user or a group (role), not both or neither.")
        if CameraAccess.objects.filter(camera=attrs["camera"], user=attrs.get("user"),
                                       group=attrs.get("group")).exists():
            raise serializers.ValidationError("This access entry exists already.")
        return attrs


class AuditEntrySerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "user", "username", "action", "action_label", "ip", "user_agent", "camera",
                  "camera_name", "detail"]


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenRequestSerializer(LoginSerializer):
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True,
                                 help_text="What the token is for, shown in the list of tokens")


class SessionSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)


class TokenSerializer(SessionSerializer):
    token = serializers.CharField(help_text="The key, shown only this once: send it as `Authorization: Token <key>`")
    token_id = serializers.IntegerField(help_text="The token's id in /api/v1/auth/tokens/, to revoke it")
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its key."""

    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "user", "created_at", "expires_at", "last_used_at"]


class WebsocketTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Open one websocket with `?ticket=<ticket>`; it works once")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid if unused")


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were revoked")
