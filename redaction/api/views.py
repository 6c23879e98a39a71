"""Export API: request, follow, review the tracks, render, download, manifest, release; the public key."""

from __future__ import annotations

import json

from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from redaction import services, signing
from redaction.api.serializers import (
    ExportRequestSerializer,
    ExportSerializer,
    ExportTrackSerializer,
    FollowedBoxSerializer,
    FramedBoxSerializer,
    RenderRequestSerializer,
    SigningKeySerializer,
)
from redaction.models import Export, ExportStatus, ExportTrackPicture
from storage.configured import exports_store
from vms.api.errors import problem
from vms.api.permissions import requires
from vms.api.schema import PROBLEM

CAN_EXPORT = requires("devices.export_clip")


class ExportViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """Exports of recorded footage (redacted or not) of cameras the user may see: each user's own, everyone's for
    case leads (`work_on_all_exports`); Investigators and Admins."""

    serializer_class = ExportSerializer
    permission_classes = [CAN_EXPORT]
    filterset_fields = ["camera", "status"]
    queryset = Export.objects.none()  # for the schema

    def get_queryset(self):
        return services.exports_visible_to(self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer, 404: PROBLEM})
    def create(self, request):
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        camera = get_object_or_404(cameras_visible_to(request.user), pk=data["camera"])
        try:
            export = services.request_export(camera, data["start"], data["end"], redact=data["redact"],
                                             areas=data["areas"], style=data["style"], reason=data["reason"],
                                             mute_audio=data["mute_audio"],
                                             user=request.user, request=request)
        except services.NoFootage as exc:
            return problem(status.HTTP_404_NOT_FOUND, str(exc), type_="no_footage")
        return Response(ExportSerializer(export).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: ExportTrackSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def tracks(self, request, pk=None):
        export = self.get_object()
        tracks = export.tracks.select_related("export").defer("thumbnail").prefetch_related(
            Prefetch("strip", ExportTrackPicture.objects.defer("picture")))
        return Response(ExportTrackSerializer(tracks, many=True).data)

    @extend_schema(request=RenderRequestSerializer, responses={202: ExportSerializer, 400: PROBLEM, 409: PROBLEM})
    @action(detail=True, methods=["post"])
    def render(self, request, pk=None):
        export = self.get_object()
        body = RenderRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            export = services.choose(export, mask_only=data.get("mask_only"), keep_visible=data.get("keep_visible"),
                                     manual=data["manual"], user=request.user, request=request,
                                     reasons=data["reasons"], masked_ranges=data["masked_ranges"],
                                     followed=data["followed"])
        except services.WrongState as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc))
        except services.MissingReason as exc:
            return problem(status.HTTP_400_BAD_REQUEST, str(exc), errors={"reasons": [str(exc)]})
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=FramedBoxSerializer, responses={200: FollowedBoxSerializer, 400: PROBLEM, 409: PROBLEM})
    @action(detail=True, methods=["post"])
    def follow(self, request, pk=None):
        """Follow a box drawn on one frame forward and back through the span until the match is lost; the result
        is masked only once sent back in `render`'s `followed`."""
        export = self.get_object()
        body = FramedBoxSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            return Response(services.follow(export, body.validated_data))
        except services.WrongState as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc))
        except ValueError as exc:
            return problem(status.HTTP_400_BAD_REQUEST, str(exc))

    @extend_schema(request=None, responses={202: ExportSerializer, 409: PROBLEM})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve an export waiting for a second person (VMS_EXPORT_APPROVAL=other); it renders then."""
        try:
            export = services.approve(self.get_object(), request.user, request=request)
        except services.WrongState as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc))
        except services.NotAllowed as exc:
            return problem(status.HTTP_403_FORBIDDEN, str(exc))
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY, 409: PROBLEM})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self._done(self.get_object())
        if isinstance(export, HttpResponse):
            return export
        audit.record(AuditAction.EXPORT_DOWNLOADED, request=request, camera=export.camera, export=export.pk,
                     sha256=export.sha256)
        return FileResponse(exports_store().open(export.file), as_attachment=True, filename=export.file,
                            content_type="video/mp4")

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 409: PROBLEM})
    @action(detail=True, methods=["get"])
    def manifest(self, request, pk=None):
        export = self._done(self.get_object())
        if isinstance(export, HttpResponse):
            return export
        response = HttpResponse(json.dumps(export.manifest, indent=2, sort_keys=True),
                                content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="export-{export.pk}.manifest.json"'
        return response

    @extend_schema(request=None, responses={200: ExportSerializer, 409: PROBLEM})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        try:
            export = services.release(self.get_object(), request.user, request=request)
        except services.WrongState as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc))
        return Response(ExportSerializer(export).data)

    @staticmethod
    def _done(export: Export):
        if export.status != ExportStatus.DONE:
            return problem(status.HTTP_409_CONFLICT,
                           f"This export is not ready: {export.get_status_display().lower()}.")
        if not exports_store().exists(export.file):
            return problem(status.HTTP_404_NOT_FOUND, "The export's file is missing from where exports are kept.")
        return export


class ExportTrackThumbnail(APIView):
    """A picture of a track found in the footage, for the review (the unredacted source: exporters only)."""

    permission_classes = [CAN_EXPORT]

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    def get(self, request, pk: int, number: int):
        export = get_object_or_404(services.exports_visible_to(request.user), pk=pk)
        track = get_object_or_404(export.tracks, number=number)
        return HttpResponse(bytes(track.thumbnail), content_type="image/jpeg")


class ExportTrackStripPicture(APIView):
    """One picture of a track's strip across its span (the unredacted source: exporters only)."""

    permission_classes = [CAN_EXPORT]

    @extend_schema(responses={(200, "image/jpeg"): bytes, 404: PROBLEM})
    def get(self, request, pk: int, number: int, frame: int):
        export = get_object_or_404(services.exports_visible_to(request.user), pk=pk)
        picture = get_object_or_404(ExportTrackPicture, track__export=export, track__number=number, frame=frame)
        return HttpResponse(bytes(picture.picture), content_type="image/jpeg")


class SigningKeyView(APIView):
    """The server's public key, to verify export manifests offline (redaction/verify.py)."""

    permission_classes = [CAN_EXPORT]

    @extend_schema(responses={200: SigningKeySerializer})
    def get(self, request):
        return Response({"algorithm": "Ed25519", "public_key_pem": signing.public_key_pem(),
                         "fingerprint": signing.key_fingerprint()})
