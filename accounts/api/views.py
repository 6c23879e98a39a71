"""Accounts API: API tokens, users and their roles, per-camera access, and the audit log."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import audit
from accounts.api.permissions import SuperusersProtected
from accounts.api.serializers import (
    AuditEntrySerializer,
    CameraAccessSerializer,
    SessionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from accounts.filters import AuditEntryFilter
from accounts.models import AuditAction, AuditEntry, CameraAccess, Preferences
from accounts.roles import role_of
from vms.api.errors import problem
from vms.api.permissions import ModelPermissionsByAction


class PasswordLoginView(APIView):
    """Checks a username and password (rate-limited; a failure is audited by the login signal)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(request, **form.validated_data)
        if user is None:
            return problem(status.HTTP_401_UNAUTHORIZED, "Wrong username or password.", type_="login_failed")
        return Response({"username": user.username, "role": role_of(user), **self.logged_in(request, user)})

    def logged_in(self, request, user) -> dict:
        raise NotImplementedError


class TokenView(PasswordLoginView):
    """Exchange a username and password for an API token (`Authorization: Token <key>`)."""

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        return super().post(request)

    def logged_in(self, request, user) -> dict:
        token, _created = Token.objects.get_or_create(user=user)
        audit.record(AuditAction.LOGIN, request=request, user=user, method="token")
        return {"token": token.key}


class SessionLoginView(PasswordLoginView):
    """Browser login: starts a session (cookie) for the web app; the user_logged_in signal audits it.

    CSRF is checked here too (DRF checks it only for session-authenticated requests), so another site cannot
    log a browser in to an account of its choosing."""

    @extend_schema(request=TokenRequestSerializer, responses={200: SessionSerializer}, auth=[])
    def post(self, request):
        SessionAuthentication().enforce_csrf(request)
        return super().post(request)

    def logged_in(self, request, user) -> dict:
        login(request._request, user)
        return {}


class SessionLogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    permissions = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """Who is logged in, their role and permissions (the web UI shows only what these allow)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    @method_decorator(ensure_csrf_cookie)
    def get(self, request):
        user = request.user
        return Response({"id": user.pk, "username": user.username, "role": role_of(user),
                         "permissions": sorted(user.get_all_permissions())})


class PreferencesView(APIView):
    """The logged-in user's preferences (JSON), e.g. {"live": {"grid": 4, "cameras": [3, 1]}}."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        preferences = Preferences.objects.filter(user=request.user).first()
        return Response(preferences.data if preferences else {})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request):
        if not isinstance(request.data, dict) or len(str(request.data)) > 20_000:
            return problem(status.HTTP_400_BAD_REQUEST, "Preferences must be a JSON object under 20 kB.")
        Preferences.objects.update_or_create(user=request.user, defaults={"data": request.data})
        return Response(request.data)


class UserViewSet(viewsets.ModelViewSet):
    queryset = User.objects.order_by("username").prefetch_related("groups")
    serializer_class = UserSerializer
    permission_classes = [ModelPermissionsByAction, SuperusersProtected]
    permission_model = "auth.user"
    filterset_fields = ["is_active", "username"]

    def perform_create(self, serializer: UserSerializer) -> None:
        user = serializer.save()
        audit.record(AuditAction.USER_CREATED, request=self.request, target=user.username, role=role_of(user))

    def perform_update(self, serializer: UserSerializer) -> None:
        changed = sorted(serializer.validated_data)
        user = serializer.save()
        audit.record(AuditAction.USER_CHANGED, request=self.request, target=user.username, fields=changed)

    def perform_destroy(self, user: User) -> None:
        audit.record(AuditAction.USER_DELETED, request=self.request, target=user.username)
        user.delete()


class CameraAccessViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.DestroyModelMixin,
                          viewsets.GenericViewSet):
    """Which users and roles may access which cameras (admins access every camera)."""

    queryset = CameraAccess.objects.select_related("camera", "user", "group").order_by("camera", "id")
    serializer_class = CameraAccessSerializer
    permission_classes = [ModelPermissionsByAction]
    permission_model = "accounts.cameraaccess"
    filterset_fields = ["camera", "user", "group"]

    def perform_create(self, serializer: CameraAccessSerializer) -> None:
        entry = serializer.save()
        audit.record(AuditAction.ACCESS_GRANTED, request=self.request, camera=entry.camera,
                     user_granted=entry.user.username if entry.user else None,
                     group_granted=entry.group.name if entry.group else None)

    def perform_destroy(self, entry: CameraAccess) -> None:
        audit.record(AuditAction.ACCESS_REVOKED, request=self.request, camera=entry.camera,
                     user_revoked=entry.user.username if entry.user else None,
                     group_revoked=entry.group.name if entry.group else None)
        entry.delete()


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log, newest first; filter by start, end, username, action, camera, ip."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    permission_classes = [ModelPermissionsByAction]
    permission_model = "accounts.auditentry"
    filterset_class = AuditEntryFilter
