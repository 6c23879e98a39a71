"""Recordings API: segments, timeline, HLS playback and clip download of one camera's footage."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from recordings import object_tracks, playback, scene_metadata, timeline, unmasked
from recordings.api.serializers import (
    ObjectTrackQuerySerializer,
    ObjectTracksSerializer,
    PlaylistQuerySerializer,
    SceneMetadataSerializer,
    SegmentSerializer,
    SpanQuerySerializer,
    TimelineSerializer,
)
from recordings.models import Segment
from vms.api.permissions import requires

SPAN_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, required=True, description="ISO 8601 with offset"),
    OpenApiParameter("end", OpenApiTypes.DATETIME, required=True, description="ISO 8601 with offset"),
]
NO_FOOTAGE = "No footage of this camera was recorded between {start} and {end}."


def visible_camera(request, camera_id: int) -> Camera:
    return get_object_or_404(cameras_visible_to(request.user), pk=camera_id)


def span_of(request) -> tuple:
    query = SpanQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["start"], query.validated_data["end"]


class CameraSegmentList(generics.ListAPIView):
    """Recorded segments of a camera overlapping a span, oldest first."""

    serializer_class = SegmentSerializer
    permission_classes = [requires("devices.view_recording")]
    queryset = Segment.objects.none()  # for the schema; get_queryset() gives the camera's segments

    @extend_schema(parameters=SPAN_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        camera = visible_camera(self.request, self.kwargs["camera_id"])
        start, end = span_of(self.request)
        return playback.segments_in_span(camera.pk, start, end)


class CameraTimeline(APIView):
    """Continuous recordings (segments merged) and the gaps between them, within a span."""

    permission_classes = [requires("devices.view_recording")]

    @extend_schema(parameters=SPAN_PARAMETERS, responses={200: TimelineSerializer})
    def get(self, request, camera_id: int):
        camera = visible_camera(request, camera_id)
        start, end = span_of(request)
        spans = timeline.recorded_spans(camera.pk, start, end)
        gaps = timeline.gaps_between(spans, start, end)
        seconds = sum((s.end - s.start).total_seconds() for s in spans)
        data = {"camera": camera.pk, "start": start, "end": end, "recorded": spans, "gaps": gaps,
                "recorded_seconds": seconds}
        return Response(TimelineSerializer(data).data)


class CameraSceneMetadata(APIView):
    """What the camera's own analytics saw within a span (at most an hour), frame by frame, as kept with its
    recording: the boxes to draw over the played-back video."""

    permission_classes = [requires("devices.view_recording")]

    @extend_schema(parameters=SPAN_PARAMETERS, responses={200: SceneMetadataSerializer})
    def get(self, request, camera_id: int):
        camera = visible_camera(request, camera_id)
        start, end = span_of(request)
        if end - start > scene_metadata.MAX_SPAN:
            raise ValidationError({"end": ["Metadata is read an hour at most at a time."]})
        frames = scene_metadata.frames_between(camera.pk, start, end)
        return Response(SceneMetadataSerializer({"camera": camera.pk, "start": start, "end": end,
                                                 "frames": frames}).data)


class CameraObjectTracks(APIView):
    """The tracks the device summed up as they ended (what passed, when, how fast and where), seen within a span (at
    most a day), oldest first: to find what passed a camera or radar without playing its footage."""

    permission_classes = [requires("devices.view_recording")]

    @extend_schema(parameters=[*SPAN_PARAMETERS, OpenApiParameter("object_class", str, description="Only this class")],
                   responses={200: ObjectTracksSerializer})
    def get(self, request, camera_id: int):
        camera = visible_camera(request, camera_id)
        query = ObjectTrackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        if end - start > object_tracks.MAX_SPAN:
            raise ValidationError({"end": ["Track summaries are read a day at most at a time."]})
        found = list(object_tracks.tracks_between(camera.pk, start, end, query.validated_data.get("object_class"))
                     [:object_tracks.MAX_TRACKS + 1])
        return Response(ObjectTracksSerializer({
            "camera": camera.pk, "start": start, "end": end, "tracks": found[:object_tracks.MAX_TRACKS],
            "truncated": len(found) > object_tracks.MAX_TRACKS}).data)


def _part_url(part: str, unmasked: str = ""):
    def url(segment: Segment, playback_id: int) -> str:
        query = urlencode({"playback": playback_id, **({"unmasked": unmasked} if unmasked else {})})
        return reverse(f"segment-{part}", args=[segment.pk]) + "?" + query

    return url


def unmasked_token(request, camera_id: int) -> str:
    """The request's unmasked-access token, checked; "" when it asks for the masked video. A bad token is 404."""
    token = request.query_params.get("unmasked", "")
    if token and not unmasked.allows(token, request.user, camera_id):
        raise NotFound("This unmasked access is not yours, has expired, or your role no longer allows it.")
    return token


class CameraPlaylist(APIView):
    """HLS playlist (fMP4) of the footage of a span around a moment: an hour of it (VMS_PLAYBACK_WINDOW_SECONDS) from
    the segment playing at `at`. When more of the span was recorded after it, a `Link: <...>; rel="next"` header
    gives the playlist that follows, which players ask for as they play. Each playback is audited once: the first
    playlist's audit entry is its `Playback-Id` header, and playlists that carry it as `playback` (the next links
    do) for the same span are not audited again."""

    permission_classes = [requires("devices.view_recording")]

    @extend_schema(parameters=[*SPAN_PARAMETERS,
                               OpenApiParameter("at", OpenApiTypes.DATETIME, description="ISO 8601 with offset"),
                               OpenApiParameter("playback", OpenApiTypes.INT)],
                   responses={(200, "application/vnd.apple.mpegurl"): str})
    def get(self, request, camera_id: int):
        camera = visible_camera(request, camera_id)
        query = PlaylistQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end, at = (query.validated_data[name] for name in ("start", "end", "at"))
        token = unmasked_token(request, camera.pk)
        try:
            window = playback.playback_window(camera.pk, end, at, unmasked=bool(token))
        except playback.NoFootage:
            raise NotFound(NO_FOOTAGE.format(start=at.isoformat(), end=end.isoformat())) from None
        detail = {"start": start.isoformat(), "end": end.isoformat(), **({"unmasked": True} if token else {})}
        entry = AuditEntry.objects.filter(pk=query.validated_data.get("playback"), user=request.user,
                                          action=AuditAction.PLAYBACK, camera=camera).first()
        if entry is None or entry.detail != detail:
            entry = audit.record(AuditAction.PLAYBACK, request=request, camera=camera, **detail)
        text = playback.hls_playlist(window.segments, _part_url("media", token), _part_url("init", token), entry.pk)
        response = HttpResponse(text, content_type="application/vnd.apple.mpegurl")
        response["Playback-Id"] = str(entry.pk)
        if window.next_start is not None:
            following = {"start": start.isoformat(), "end": end.isoformat(), "at": window.next_start.isoformat(),
                         "playback": entry.pk, **({"unmasked": token} if token else {})}
            url = reverse("camera-playlist", args=[camera.pk]) + "?" + urlencode(following)
            response["Link"] = f'<{url}>; rel="next"'
        return response


class SegmentPart(APIView):
    """The init part or the media part of one recorded segment, for HLS players.

    Fetches that carry the `playback` id of the user's own audited playlist are not audited again;
    any other fetch is audited on its own."""

    permission_classes = [requires("devices.view_recording")]
    part = "media"

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    def get(self, request, segment_id: int):
        segment = get_object_or_404(
            Segment.objects.select_related("camera").filter(camera__in=cameras_visible_to(request.user)),
            pk=segment_id,
        )
        if segment.unmasked and not unmasked.allows(request.query_params.get("unmasked", ""), request.user,
                                                    segment.camera_id):
            raise NotFound("No such segment.")
        playback_id = request.query_params.get("playback", "")
        audited = playback_id.isdigit() and AuditEntry.objects.filter(
            pk=int(playback_id), user=request.user, action=AuditAction.PLAYBACK, camera=segment.camera
        ).exists()
        if not audited:
            audit.record(AuditAction.PLAYBACK, request=request, camera=segment.camera, segment=segment.pk)
        try:
            data = playback.read_part(segment, self.part)
        except FileNotFoundError:
            raise NotFound("This segment's file is missing; it may have just been deleted by retention.") from None
        response = HttpResponse(data, content_type="video/mp4")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class SegmentInit(SegmentPart):
    part = "init"


class CameraClip(APIView):
    """One MP4 of a span, made by remux of the recorded segments (cut at keyframes); audited."""

    permission_classes = [requires("devices.export_clip")]

    @extend_schema(parameters=SPAN_PARAMETERS, responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    def get(self, request, camera_id: int):
        camera = visible_camera(request, camera_id)
        start, end = span_of(request)
        segments = list(playback.segments_in_span(camera.pk, start, end))
        if not segments:
            raise NotFound(NO_FOOTAGE.format(start=start.isoformat(), end=end.isoformat()))
        audit.record(AuditAction.CLIP_DOWNLOAD, request=request, camera=camera, start=start.isoformat(),
                     end=end.isoformat(), segments=[s.pk for s in segments])
        chunks = playback.clip_chunks(segments, start, end)
        response = StreamingHttpResponse(playback.in_worker_thread(chunks), content_type="video/mp4")
        name = f"{camera.name}-{start:%Y%m%dT%H%M%S%z}.mp4".replace(" ", "_").replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
