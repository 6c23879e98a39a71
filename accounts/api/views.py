"""Accounts API: logins, API tokens, users and their roles, per-camera access, and the audit log."""

from __future__ import annotations

import json

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import audit, tickets, tokens
from accounts.api.permissions import SuperusersProtected
from accounts.api.serializers import (
    ApiTokenSerializer,
    AuditEntrySerializer,
    CameraAccessSerializer,
    LoginSerializer,
    RevokedSerializer,
    SessionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
    WebsocketTicketSerializer,
)
from accounts.filters import AuditEntryFilter
from accounts.models import ApiToken, AuditAction, AuditEntry, CameraAccess, Preferences
from accounts.roles import role_of
from vms.api.errors import problem
from vms.api.permissions import ModelPermissionsByAction


class PasswordLoginView(APIView):
    """Checks a username and password (rate-limited; a failure is audited by the login signal)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    form_class: type[serializers.Serializer] = LoginSerializer

    def post(self, request):
        form = self.form_class(data=request.data)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        user = authenticate(request, username=fields.pop("username"), password=fields.pop("password"))
        if user is None:
            return problem(status.HTTP_401_UNAUTHORIZED, "Wrong username or password.", type_="login_failed")
        return Response({"username": user.username, "role": role_of(user), **self.logged_in(request, user, **fields)})

    def logged_in(self, request, user, **fields) -> dict:
        raise NotImplementedError


class TokenView(PasswordLoginView):
    """Exchange a username and password for a new API token (`Authorization: Token <key>`), which expires."""

    form_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        return super().post(request)

    def logged_in(self, request, user, name: str = "") -> dict:
        token, key = tokens.issue(user, name)
        audit.record(AuditAction.LOGIN, request=request, user=user, method="token", token_id=token.pk,
                     token_name=name)
        return {"token": key, "token_id": token.pk, "expires_at": token.expires_at}


class SessionLoginView(PasswordLoginView):
    """Browser login: starts a session (cookie) for the web app; the user_logged_in signal audits it.

    CSRF is checked here too (DRF checks it only for session-authenticated requests), so another site cannot
    log a browser in to an account of its choosing."""

    @extend_schema(request=LoginSerializer, responses={200: SessionSerializer}, auth=[])
    def post(self, request):
        SessionAuthentication().enforce_csrf(request)
        return super().post(request)

    def logged_in(self, request, user) -> dict:
        login(request._request, user)
        return {}


WHOSE_TOKENS = OpenApiParameter("user", int, description="Whose tokens (a user's id; another user's needs the "
                                "Admin role); yours when left out")


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your unexpired API tokens, without their keys; revoke one (DELETE) or all (revoke-all).

    Admins may list and revoke another user's tokens (`?user=<id>`; revoking by id needs no `user`), never
    a superuser's unless they are one; revocations are audited."""

    queryset = ApiToken.objects.none()  # get_queryset() says whose; this names the model for the schema
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated, SuperusersProtected]

    def may_manage_others(self) -> bool:
        return self.request.user.has_perm("auth.change_user")

    def owner(self) -> User:
        """The user named by ?user= (Admins only), else the one asking."""
        user_id = self.request.query_params.get("user")
        if user_id is None or user_id == str(self.request.user.pk):
            return self.request.user
        if not self.may_manage_others():
            raise PermissionDenied("Your role does not allow managing another user's tokens.")
        owner = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        if owner is None:
            raise ValidationError({"user": ["No user has this id."]})
        return owner

    def get_queryset(self):
        alive = ApiToken.objects.filter(expires_at__gt=timezone.now()).select_related("user")
        if self.action == "destroy" and self.may_manage_others():
            return alive
        return alive.filter(user=self.owner())

    @extend_schema(parameters=[WHOSE_TOKENS])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_destroy(self, token: ApiToken) -> None:
        audit.record(AuditAction.TOKENS_REVOKED, request=self.request, target=token.user.username,
                     token_ids=[token.pk], token_names=[token.name])
        token.delete()

    @extend_schema(parameters=[WHOSE_TOKENS], request=None, responses={200: RevokedSerializer})
    @action(detail=False, methods=["post"], url_path="revoke-all")
    def revoke_all(self, request):
        owner = self.owner()
        self.check_object_permissions(request, owner)
        revoked = tokens.revoke_all(owner)
        audit.record(AuditAction.TOKENS_REVOKED, request=request, target=owner.username,
                     token_ids=[pk for pk, _name in revoked], token_names=[name for _pk, name in revoked])
        return Response({"revoked": len(revoked)})


class WebsocketTicketView(APIView):
    """A single-use ticket for one websocket (`/ws/...?ticket=<ticket>`), for clients that can send neither the
    session cookie nor an `Authorization` header with the handshake; a URL gets logged, a token must not be."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: WebsocketTicketSerializer})
    def post(self, request):
        token_id = request.auth.pk if isinstance(request.auth, ApiToken) else None
        return Response({"ticket": tickets.issue(request.user, token_id), "expires_in": tickets.TICKET_SECONDS})


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
        # An empty body (request.stream is None) is refused too: PUT replaces them all.
        data = request.data if request.stream is not None else None
        if not isinstance(data, dict) or len(json.dumps(data)) > 20_000:
            return problem(status.HTTP_400_BAD_REQUEST, "Preferences must be a JSON object under 20 kB.")
        Preferences.objects.update_or_create(user=request.user, defaults={"data": data})
        return Response(data)


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
