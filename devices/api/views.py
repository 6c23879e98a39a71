"""Camera API: CRUD with per-camera access, stream probe, ONVIF profiles and discovery, relay outputs, PTZ
(devices/api/ptz_views.py), privacy masks."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import socket
import wave

import django_filters
from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from devices import onvif, relays, services, talk
from devices.api.ptz_views import PtzActions
from devices.api.serializers import (
    AnnouncementSerializer,
    CameraSerializer,
    DeviceEventSerializer,
    DiscoveryRequestSerializer,
    OnvifRequestSerializer,
    PrivacyMaskSerializer,
    ProbeRequestSerializer,
    RelayOutputSerializer,
    RelaySwitchRequestSerializer,
    RelaySwitchSerializer,
    SitePlanSerializer,
    StreamInfoSerializer,
    UnmaskedAccessRequestSerializer,
    UnmaskedAccessSerializer,
)
from devices.choices import RelayLogicalState
from devices.models import Announcement, DeviceEvent, PrivacyMask, SitePlan
from devices.stream_urls import pinned_stream_url
from recordings import unmasked
from video.announcements import RATE
from video.backchannel import BackChannelError
from video.probe import StreamError, classify_error, probe_stream
from vms import outbound
from vms.api.camera_scoped import CameraScopedViewSet
from vms.api.errors import CameraUnavailable, problem
from vms.api.fields import InstantFilter
from vms.api.filters import StrictFilterSet
from vms.api.permissions import ModelPermissionsByAction, requires, requires_any
from vms.api.schema import PROBLEM

log = logging.getLogger(__name__)


def probe_or_raise(url: str, username: str, password: str, field: str) -> Response:
    """Probe the stream at an address the outbound policy allows; a denied one is a 400 on `field`."""
    try:
        info = probe_stream(pinned_stream_url(url, settings.OUTBOUND_ALLOW), username or None, password or None)
    except outbound.DestinationDenied as exc:
        raise ValidationError({field: [str(exc)]}) from exc
    except (StreamError, socket.gaierror) as exc:
        error = classify_error(exc, url)
        raise CameraUnavailable(error.reason, str(error)) from exc
    return Response(StreamInfoSerializer(dataclasses.asdict(info)).data)


class CameraViewSet(PtzActions, viewsets.ModelViewSet):
    """Cameras the user may access. Passwords are write-only; the live status is read-only."""

    serializer_class = CameraSerializer
    permission_classes = [ModelPermissionsByAction]
    permission_model = "devices.camera"
    filterset_fields = ["enabled", "kind", "recording_mode", "status", "site_plan"]
    search_fields = ["name"]

    def get_queryset(self):
        return cameras_visible_to(self.request.user).select_related("recorder", "standby")

    def perform_create(self, serializer: CameraSerializer) -> None:
        services.camera_added(serializer.save(), self.request)

    def perform_update(self, serializer: CameraSerializer) -> None:
        changed = services.changed_fields(serializer.instance, serializer.validated_data)
        forgotten = services.forget_ptz_if_moved(serializer.instance, serializer.validated_data)
        services.camera_changed(serializer.save(**forgotten), self.request, changed)

    @extend_schema(responses={204: None, 409: PROBLEM})
    def destroy(self, request, *args, **kwargs):
        try:
            services.delete_camera(self.get_object(), request)
        except services.CameraHasEvidence as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc), type_="camera_has_exports",
                           errors={"exports": exc.exports})
        except services.DeviceSwitchedByRules as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc), type_="device_switched_by_rules",
                           errors={"rules": exc.rules})
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ProbeRequestSerializer, responses={200: StreamInfoSerializer, 502: PROBLEM})
    @action(detail=False, methods=["post"], permission_classes=[requires("devices.add_camera")])
    def probe(self, request):
        """Open a stream URL and report codec, resolution, fps and browser support, or why it fails."""
        form = ProbeRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        return probe_or_raise(form.validated_data["url"], form.validated_data["username"],
                              form.validated_data["password"], "url")

    @extend_schema(request=UnmaskedAccessRequestSerializer, responses={201: UnmaskedAccessSerializer, 409: PROBLEM})
    @action(detail=True, methods=["post"], url_path="unmasked-access",
            permission_classes=[requires("devices.view_unmasked")])
    def unmasked_access(self, request, pk=None):
        """Access to the camera's unmasked video for a while, for a reason the user gives; audited."""
        camera = self.get_object()
        body = UnmaskedAccessRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not camera.keep_unmasked:
            return problem(status.HTTP_409_CONFLICT, f"{camera.name} keeps no unmasked video.")
        audit.record(AuditAction.UNMASKED_VIEW, request=request, camera=camera, reason=body.validated_data["reason"])
        token, expires_at = unmasked.issue(request.user, camera.pk)
        return Response({"token": token, "expires_at": expires_at}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: StreamInfoSerializer, 502: PROBLEM},
                   operation_id="cameras_probe_saved")
    @action(detail=True, methods=["post"], url_path="probe", permission_classes=[requires("devices.change_camera")])
    def probe_saved(self, request, pk=None):
        """Probe this camera's main stream with its stored credentials, and ask it whether it has a speaker (its
        ONVIF audio back channel): kept as its `speaker`."""
        camera = self.get_object()
        response = probe_or_raise(camera.main_url, camera.username, camera.password, "main_url")
        try:
            talk.detect_speaker(camera, request)
        except (BackChannelError, outbound.DestinationDenied, socket.gaierror) as exc:
            log.info("camera %s: whether it has a speaker is unknown: %s", camera.pk, exc)
        return response

    @extend_schema(request=None, responses={200: RelayOutputSerializer(many=True), 502: PROBLEM})
    @action(detail=True, methods=["get"], url_path="relay-outputs", pagination_class=None,
            permission_classes=[requires_any("devices.change_camera", "devices.switch_relay")])
    def relay_outputs(self, request, pk=None):
        """The camera's relay outputs, as it lists them over ONVIF: what a rule, or a user allowed to, may switch.
        Their last states are the camera's `relay_outputs`."""
        camera = self.get_object()
        try:
            outputs = relays.relay_outputs(camera)
        except onvif.OnvifError as exc:
            raise CameraUnavailable(exc.reason, exc.message) from exc
        return Response(RelayOutputSerializer([dataclasses.asdict(o) for o in outputs], many=True).data)

    @extend_schema(request=RelaySwitchRequestSerializer,
                   responses={200: RelaySwitchSerializer, 400: PROBLEM, 404: PROBLEM, 502: PROBLEM},
                   parameters=[OpenApiParameter("token", str, OpenApiParameter.PATH,
                                                description="The relay output's token, as the camera lists it")])
    @action(detail=True, methods=["post"], url_path=r"relay-outputs/(?P<token>[^/]{1,100})",
            permission_classes=[requires("devices.switch_relay")])
    def switch_relay_output(self, request, pk=None, token=None):
        """Switch one of the camera's relay outputs on or off by hand, or on for some seconds (a pulse); audited.
        A camera without that output is a 404; one that cannot be asked a 502, and then nothing is kept."""
        camera = self.get_object()
        body = RelaySwitchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        active = body.validated_data["state"] == RelayLogicalState.ACTIVE
        try:
            state = relays.switch_by_hand(camera, token, active, request, body.validated_data.get("seconds"))
        except onvif.OnvifError as exc:
            if exc.reason == "no_relay_output":
                raise NotFound(exc.message) from exc
            raise CameraUnavailable(exc.reason, exc.message) from exc
        return Response(RelaySwitchSerializer({"token": token, **state}).data)


class OnvifProfilesView(APIView):
    """List an ONVIF device's media profiles with their stream URIs, to pick main and sub streams."""

    permission_classes = [requires("devices.add_camera")]

    @extend_schema(request=OnvifRequestSerializer, responses={200: dict, 502: PROBLEM})
    def post(self, request):
        form = OnvifRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            device = asyncio.run(onvif.list_profiles(**form.validated_data, allow=settings.OUTBOUND_ALLOW))
        except onvif.OnvifError as exc:
            if exc.reason == "denied":
                raise ValidationError({"host": [exc.message]}) from exc
            raise CameraUnavailable(exc.reason, str(exc)) from exc
        main, sub = onvif.suggest_streams(device)
        return Response({**dataclasses.asdict(device), "suggested_main_url": main, "suggested_sub_url": sub})


class OnvifDiscoveryView(APIView):
    """Scan the local network with WS-Discovery for ONVIF devices."""

    permission_classes = [requires("devices.add_camera")]

    @extend_schema(request=DiscoveryRequestSerializer, responses={200: dict})
    def post(self, request):
        form = DiscoveryRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        devices = onvif.discover(timeout=form.validated_data["timeout"])
        return Response({"devices": [dataclasses.asdict(d) for d in devices]}, status=status.HTTP_200_OK)


class SitePlanViewSet(viewsets.ModelViewSet):
    """Floor plans and maps of the site: devices are placed on them (each device's `site_plan`, `plan_x`, ...) and a
    radar's zones are drawn on its plan."""

    queryset = SitePlan.objects.all()
    serializer_class = SitePlanSerializer
    permission_classes = [ModelPermissionsByAction]
    permission_model = "devices.siteplan"

    def perform_create(self, serializer: SitePlanSerializer) -> None:
        self._audit("created", serializer.save())

    def perform_update(self, serializer: SitePlanSerializer) -> None:
        self._audit("changed", serializer.save(), fields=sorted(serializer.validated_data))

    def perform_destroy(self, plan: SitePlan) -> None:
        self._audit("deleted", plan)
        plan.delete()

    def _audit(self, change: str, plan: SitePlan, **detail) -> None:
        audit.record(AuditAction.SITE_PLAN_CHANGED, request=self.request, change=change, site_plan=plan.pk,
                     name=plan.name, **detail)

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY, (200, "image/jpeg"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="image")
    def image(self, request, pk=None):
        """The plan's picture, as uploaded."""
        plan = self.get_object()
        response = HttpResponse(bytes(plan.image), content_type=plan.image_type)
        response["Cache-Control"] = "private, max-age=60"
        return response


class AnnouncementViewSet(viewsets.ModelViewSet):
    """Recorded announcements that rules play on cameras' speakers, and the built-in chime (which stays as it is).
    Every change is audited; one that rules play cannot be deleted."""

    queryset = Announcement.objects.all()
    serializer_class = AnnouncementSerializer
    permission_classes = [ModelPermissionsByAction]
    permission_model = "devices.announcement"
    pagination_class = None

    def perform_create(self, serializer: AnnouncementSerializer) -> None:
        self._audit("created", serializer.save())

    def perform_update(self, serializer: AnnouncementSerializer) -> None:
        self._audit("changed", serializer.save(), fields=sorted(serializer.validated_data))

    @extend_schema(responses={204: None, 409: PROBLEM})
    def destroy(self, request, *args, **kwargs):
        announcement = self.get_object()
        if announcement.built_in:
            return problem(status.HTTP_409_CONFLICT, "The built-in chime cannot be deleted.")
        rules = sorted(announcement.rules.values_list("pk", flat=True))
        if rules:
            return problem(status.HTTP_409_CONFLICT, f"Rules play {announcement.name} (rules "
                           f"{', '.join(map(str, rules))}): change them first.", type_="announcement_in_use",
                           errors={"rules": rules})
        self._audit("deleted", announcement)
        announcement.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _audit(self, change: str, announcement: Announcement, **detail) -> None:
        audit.record(AuditAction.ANNOUNCEMENT_CHANGED, request=self.request, change=change,
                     announcement=announcement.pk, name=announcement.name, **detail)

    @extend_schema(responses={(200, "audio/wav"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="sound")
    def sound(self, request, pk=None):
        """The announcement as the speakers get it (8 kHz mono), as a WAV file to listen to."""
        announcement = self.get_object()
        wav = io.BytesIO()
        with wave.open(wav, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(RATE)
            writer.writeframes(bytes(announcement.sound))
        return HttpResponse(wav.getvalue(), content_type="audio/wav")


class PrivacyMaskViewSet(CameraScopedViewSet):
    """Areas of a camera's picture masked in the stream itself, before anything is stored, shown or analysed."""

    queryset = PrivacyMask.objects.all()
    serializer_class = PrivacyMaskSerializer
    permission_model = "devices.privacymask"
    audit_action = AuditAction.MASKS_CHANGED
    what = "privacy mask"


class DeviceEventFilter(StrictFilterSet):
    topic = django_filters.CharFilter(method="filter_topic", help_text="Events of this ONVIF topic or its subtopics")
    start = InstantFilter(field_name="at", lookup_expr="gte", help_text="Events at or after this time")
    end = InstantFilter(field_name="at", lookup_expr="lt", help_text="Events before this time")

    class Meta:
        model = DeviceEvent
        fields = ["camera", "kind", "state"]

    def filter_topic(self, queryset, _name, value):
        topic = value.rstrip("/")
        return queryset.filter(Q(topic=topic) | Q(topic__startswith=topic + "/"))


class DeviceEventViewSet(viewsets.ReadOnlyModelViewSet):
    """What the cameras reported themselves (ONVIF events), newest first; for cameras the user may see."""

    serializer_class = DeviceEventSerializer
    permission_classes = [requires("devices.view_deviceevent")]
    filterset_class = DeviceEventFilter
    queryset = DeviceEvent.objects.none()  # for the schema

    def get_queryset(self):
        return DeviceEvent.objects.filter(camera__in=cameras_visible_to(self.request.user)).select_related("camera")
