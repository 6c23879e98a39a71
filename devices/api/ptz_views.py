"""PTZ in the camera API, under /cameras/{id}/ptz/: where the camera looks, who steers it, the joystick and the other
moves, home and presets. Every move needs control of the camera (devices/ptz_control.py): while someone else has it,
a 409 names them. A camera without PTZ is a 404 (no_ptz) here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from accounts.models import AuditAction
from devices import onvif, ptz, ptz_control, ptz_presets, ptz_tours, services
from devices.api.serializers import (
    CameraSerializer,
    PtzCentreRequestSerializer,
    PtzControlSerializer,
    PtzControlStateSerializer,
    PtzMoveRequestSerializer,
    PtzPositionRequestSerializer,
    PtzPresetRequestSerializer,
    PtzPresetSerializer,
    PtzStatusSerializer,
    PtzTourRunSerializer,
    PtzTourSerializer,
)
from devices.models import Camera, PtzTour
from vms.api.camera_scoped import CameraScopedViewSet
from vms.api.errors import CameraUnavailable, problem
from vms.api.permissions import requires
from vms.api.schema import PROBLEM

CONTROLS = requires("devices.control_ptz")
TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The preset's token, as listed")
STEERED = {200: PtzControlStateSerializer, 404: PROBLEM, 409: PROBLEM, 502: PROBLEM}


class ManagesPresetsToChangeThem(BasePermission):
    """Presets are shared by everyone who steers the camera (and, later, by tours and rules): listing them takes
    control_ptz, changing them manage_ptz_presets (the Admin role's; grantable to a trusted operator apart)."""

    message = "Your role does not allow changing presets."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or request.user.has_perm("devices.manage_ptz_presets")


class NoPtz(exceptions.NotFound):
    default_code = "no_ptz"


class NoPreset(exceptions.NotFound):
    default_code = "no_preset"


class PtzRefused(exceptions.APIException):
    """The camera cannot do it, or not now (moving, no room for another preset, ...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "ptz_refused"


class PtzActions:
    """The PTZ actions of the camera API (CameraViewSet's): its queryset hides the cameras a user may not access."""

    @extend_schema(request=None, responses={200: PtzStatusSerializer, 502: PROBLEM})
    @action(detail=True, methods=["get"], url_path="ptz", permission_classes=[CONTROLS])
    def ptz_status(self, request, pk=None):
        """Where the camera looks, whether it moves, and who steers it."""
        camera = self._ptz_camera()
        now = _asked(ptz.status, camera)
        return Response(PtzStatusSerializer({
            "position": dataclasses.asdict(now.position) if now.position else None, "moving": now.moving,
            "control": _control(ptz_control.holder_of(camera), request), "tour": ptz_tours.running(camera)}).data)

    @extend_schema(request=None, responses={200: PtzControlStateSerializer})
    @action(detail=True, methods=["get"], url_path="ptz/control", permission_classes=[CONTROLS])
    def ptz_holder(self, request, pk=None):
        """Who steers the camera, without asking the camera: for the tile to show."""
        return Response({"control": _control(ptz_control.holder_of(self._ptz_camera()), request)})

    @extend_schema(request=None, responses=STEERED)
    @ptz_holder.mapping.post
    def take_ptz_control(self, request, pk=None):
        """Take control of the camera: free, yours already, or held by a lower role (taken over); audited."""
        return self._steer(request, lambda camera: None)

    @extend_schema(request=None, responses={204: None, 409: PROBLEM})
    @ptz_holder.mapping.delete
    def hand_back_ptz_control(self, request, pk=None):
        """Hand control of the camera back, for the next one; audited."""
        camera = self._ptz_camera()
        try:
            ptz_control.hand_back(camera, request)
        except ptz_control.ControlHeld as exc:
            return _held(exc, request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PtzMoveRequestSerializer, responses=STEERED)
    @action(detail=True, methods=["post"], url_path="ptz/move", permission_classes=[CONTROLS])
    def ptz_move(self, request, pk=None):
        """The joystick: pan, tilt and zoom at these speeds until stopped or for `seconds`."""
        body = _valid(PtzMoveRequestSerializer, request)
        return self._steer(request, lambda camera: ptz.move(camera, **body))

    @extend_schema(request=None, responses=STEERED)
    @action(detail=True, methods=["post"], url_path="ptz/stop", permission_classes=[CONTROLS])
    def ptz_stop(self, request, pk=None):
        """Stop moving (the joystick let go)."""
        return self._steer(request, ptz.stop)

    @extend_schema(request=PtzCentreRequestSerializer, responses=STEERED)
    @action(detail=True, methods=["post"], url_path="ptz/centre", permission_classes=[CONTROLS])
    def ptz_centre(self, request, pk=None):
        """Click to centre: turn so that point of the picture comes to the middle; with a box, zoom in on it too.
        A camera that cannot (see its ptz_capabilities: centre) is a 409."""
        body = _valid(PtzCentreRequestSerializer, request)
        return self._steer(request, lambda camera: ptz.centre(camera, **body))

    @extend_schema(request=PtzPositionRequestSerializer, responses=STEERED)
    @action(detail=True, methods=["post"], url_path="ptz/position", permission_classes=[CONTROLS])
    def ptz_position(self, request, pk=None):
        """Go to an absolute position."""
        body = _valid(PtzPositionRequestSerializer, request)
        return self._steer(request, lambda camera: ptz.go_to(camera, body.get("pan"), body.get("tilt"),
                                                             body.get("zoom")))

    @extend_schema(request=None, responses=STEERED)
    @action(detail=True, methods=["post"], url_path="ptz/home", permission_classes=[CONTROLS])
    def ptz_home(self, request, pk=None):
        """Go to the home position; audited."""
        return self._steer(request, lambda camera: ptz_presets.go_home(camera, request))

    @extend_schema(request=None, responses={200: PtzPresetSerializer(many=True), 502: PROBLEM})
    @action(detail=True, methods=["get"], url_path="ptz/presets", pagination_class=None,
            permission_classes=[CONTROLS, ManagesPresetsToChangeThem])
    def ptz_presets(self, request, pk=None):
        """The camera's presets."""
        presets = _asked(ptz_presets.listed, self._ptz_camera())
        return Response(PtzPresetSerializer([dataclasses.asdict(p) for p in presets], many=True).data)

    @extend_schema(request=PtzPresetRequestSerializer,
                   responses={201: PtzPresetSerializer, 404: PROBLEM, 409: PROBLEM, 502: PROBLEM})
    @ptz_presets.mapping.post
    def save_ptz_preset(self, request, pk=None):
        """Save where the camera looks now as a new preset (which needs control of it); audited."""
        name = _valid(PtzPresetRequestSerializer, request)["name"]
        return self._steer(request, lambda camera: Response(
            PtzPresetSerializer(dataclasses.asdict(ptz_presets.save(camera, name, request))).data,
            status=status.HTTP_201_CREATED))

    @extend_schema(request=PtzPresetRequestSerializer, responses={200: PtzPresetSerializer, 502: PROBLEM},
                   parameters=[TOKEN])
    @action(detail=True, methods=["patch"], url_path=r"ptz/presets/(?P<token>[^/]{1,64})",
            permission_classes=[CONTROLS, ManagesPresetsToChangeThem])
    def ptz_preset(self, request, pk=None, token=None):
        """Rename a preset; audited."""
        name = _valid(PtzPresetRequestSerializer, request)["name"]
        preset = _asked(lambda camera: ptz_presets.rename(camera, token, name, request), self._ptz_camera())
        return Response(PtzPresetSerializer(dataclasses.asdict(preset)).data)

    @extend_schema(request=None, responses={204: None, 502: PROBLEM}, parameters=[TOKEN])
    @ptz_preset.mapping.delete
    def delete_ptz_preset(self, request, pk=None, token=None):
        """Delete a preset from the camera; audited."""
        _asked(lambda camera: ptz_presets.delete(camera, token, request), self._ptz_camera())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=STEERED, parameters=[TOKEN])
    @action(detail=True, methods=["post"], url_path=r"ptz/presets/(?P<token>[^/]{1,64})/go",
            permission_classes=[CONTROLS])
    def go_to_ptz_preset(self, request, pk=None, token=None):
        """Send the camera to a preset; audited."""
        return self._steer(request, lambda camera: ptz_presets.go_to(camera, token, request))

    @extend_schema(request=None, responses={200: CameraSerializer, 502: PROBLEM})
    @action(detail=True, methods=["post"], url_path="ptz/detect",
            permission_classes=[requires("devices.change_camera")])
    def detect_ptz(self, request, pk=None):
        """Ask the camera over ONVIF whether it has PTZ, on the profile of its stream, and what it can do; kept on
        the camera (its `ptz` and `ptz_capabilities`). After adding a camera with an ONVIF host, or changing it."""
        camera = self.get_object()
        _asked(lambda asked: services.detect_ptz(asked, request), camera)
        return Response(CameraSerializer(camera, context={"request": request}).data)

    def _ptz_camera(self) -> Camera:
        camera = self.get_object()
        if not camera.has_ptz:
            raise NoPtz(f"{camera.name} has no PTZ: it cannot be steered. (An admin can ask the camera again: "
                        "ptz/detect.)")
        return camera

    def _steer(self, request, move: Callable[[Camera], object]) -> HttpResponse:
        """Claim control of the camera for the person asking, then move it; answers who has control, unless the move
        gives its own answer."""
        camera = self._ptz_camera()
        try:
            holder = ptz_control.claim(camera, request)
        except ptz_control.ControlHeld as exc:
            return _held(exc, request)
        answer = _asked(move, camera)
        return answer if isinstance(answer, Response) else Response({"control": _control(holder, request)})


def _asked(ask: Callable[[Camera], object], camera: Camera):
    """What `ask` answers of the camera; its refusals as the API's errors."""
    try:
        return ask(camera)
    except onvif.OnvifError as exc:
        if exc.reason == "no_ptz":
            raise NoPtz(exc.message) from exc
        if exc.reason == "no_preset":
            raise NoPreset(exc.message) from exc
        if exc.reason == "ptz_refused":
            raise PtzRefused(exc.message) from exc
        raise CameraUnavailable(exc.reason, exc.message) from exc


def _valid(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _control(holder: ptz_control.Holder | None, request) -> dict | None:
    if holder is None:
        return None
    return PtzControlSerializer({**dataclasses.asdict(holder), "by_alarm": holder.by_alarm, "by_tour": holder.by_tour,
                                 "yours": holder.held_by(request.user)}).data


def _held(exc: ptz_control.ControlHeld, request) -> HttpResponse:
    return problem(status.HTTP_409_CONFLICT, str(exc), type_="ptz_control_held",
                   errors={"control": _control(exc.holder, request)})


class ManagesPresetsToChangeTours(ManagesPresetsToChangeThem):
    message = "Your role does not allow changing tours."


class PtzTourViewSet(CameraScopedViewSet):
    """A PTZ camera's tours (/cameras/{id}/ptz/tours/): listing, starting and stopping them takes control_ptz,
    changing them manage_ptz_presets. A running tour moves the camera only while nobody else has control of it."""

    audit_action = AuditAction.PTZ_TOUR_CHANGED
    what = "tour"
    queryset = PtzTour.objects.select_related("camera")
    serializer_class = PtzTourSerializer
    permission_classes = [CONTROLS, ManagesPresetsToChangeTours]
    pagination_class = None

    @property
    def camera(self) -> Camera:
        camera = super().camera
        if not camera.has_ptz:
            raise NoPtz(f"{camera.name} has no PTZ: it has no tours.")
        return camera

    def perform_destroy(self, instance: PtzTour) -> None:
        running = ptz_tours.running(self.camera)
        if running is not None and running.tour_id == instance.pk:
            ptz_tours.stop(self.camera, self.request, why="deleted")
        super().perform_destroy(instance)

    @extend_schema(request=None, responses={200: PtzTourRunSerializer, 404: PROBLEM})
    @action(detail=True, methods=["post"], permission_classes=[CONTROLS])
    def start(self, request, camera_id=None, pk=None):
        """Start the tour now (another one running on the camera stops); audited. It moves the camera whenever
        nobody else has control of it."""
        run = ptz_tours.start(self.get_object(), request)
        return Response(PtzTourRunSerializer(run).data)

    @extend_schema(request=None, responses={204: None, 404: PROBLEM})
    @action(detail=True, methods=["post"], permission_classes=[CONTROLS])
    def stop(self, request, camera_id=None, pk=None):
        """Stop the tour, if it runs; audited. A tour its schedule started stays stopped until its window ends."""
        tour = self.get_object()
        running = ptz_tours.running(self.camera)
        if running is not None and running.tour_id == tour.pk:
            ptz_tours.stop(self.camera, request)
        return Response(status=status.HTTP_204_NO_CONTENT)
