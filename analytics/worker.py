"""Live analytics workers: each analyses the cameras it leases (see recordings.leases), one thread each.

A camera's thread follows the recorder's live feed (no second RTSP session to the camera), decodes every
frame, analyses a few a second, applies the camera's rules, sends the boxes to the browsers and turns what
fires into events, alarms, counts and webhook calls. Zones and rules are reloaded within one lease round
of a change, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection

from analytics import services
from devices.choices import AnalysisSource, CameraStatus, MetadataTransport
from devices.metadata_feed import BrokerState, MetadataFeed, broker_of
from devices.models import Camera
from devices.ptz_masks import scene_masks_of
from devices.ptz_position import PositionFollower
from devices.status import publish_status
from recordings import object_tracks
from recordings.leases import CameraThread, LeasingProcess
from recordings.live import LiveEnded, LiveFragment, LiveStart, hub
from recordings.scene_metadata import SceneMetadataWriter
from video.analysis import Analysis, FrameAnalyser, snapshot
from video.detection import Detector, ModelError, load_detector
from video.geometry import Box
from video.live_decoder import LiveClock, LiveDecoder
from video.onvif_metadata import parse_metadata_stream
from video.radar import PlanPlacement
from video.recording import CameraMetadata
from video.rules import Firing, RuleEngine, SceneUpdate
from video.scene_metadata import MalformedMetadata, SceneFrame, SceneTracks, merged_tracks, outside_masks
from video.track_summaries import TrackSummary
from video.tracking import Track
from vms import realtime

log = logging.getLogger(__name__)

# With nothing from the camera for this long, the rules still run (offline, schedules ending).
IDLE_SECONDS = 1.0
# A camera whose metadata should come in its stream and has sent none for this long is told to the admin.
METADATA_WAIT_SECONDS = 30.0
# Fragments waiting beyond this many mean the analysis fell behind: skip to the next keyframe.
MAX_BACKLOG_FRAGMENTS = 50
MAX_EVENT_BOXES = 3000


def eligible_cameras():
    """Cameras (and radars) to analyse, with what config_of reads of them each lease round in the same queries: the
    privacy masks of those analysed by their own metadata, and the site plan a radar stands on."""
    return (Camera.objects.filter(enabled=True, analytics_enabled=True).select_related("site_plan")
            .prefetch_related("privacy_masks"))


class LiveFeed(threading.Thread):
    """Follows a camera's live feed in its own event loop and hands each item to a queue, with its arrival time.
    Without `watch`, only while someone watches the camera live (the recorder does not publish it for this feed).
    With `metadata`, the documents of the camera's metadata track too (CameraMetadata), whether watched or not."""

    def __init__(self, camera_id: int, stop: threading.Event, watch: bool = True, metadata: bool = False) -> None:
        super().__init__(name=f"camera-{camera_id}-feed", daemon=True)
        self.camera_id = camera_id
        self.stop_event = stop
        self.watch = watch
        self.metadata = metadata
        self.items: queue.Queue = queue.Queue()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                asyncio.run(self._follow())
            except Exception as exc:  # noqa: BLE001  (the fan-out is down: say so and try again)
                log.warning("camera %s: live feed for analytics unavailable: %s", self.camera_id, exc)
                self.items.put((time.time(), LiveEnded()))
            self.stop_event.wait(1.0)

    async def _follow(self) -> None:
        """Relay the subscription until stopped. The stop is watched beside it, not by timing out reads: a
        timed-out read would cancel the subscription itself, and a quiet camera would be resubscribed each time."""
        relays = {asyncio.create_task(self._relay(hub().subscribe(self.camera_id, self.watch)))}
        if self.metadata:
            relays.add(asyncio.create_task(self._relay(hub().subscribe_metadata(self.camera_id))))
        stopped = asyncio.create_task(self._stopped())
        done, _pending = await asyncio.wait({*relays, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (*relays, stopped):
            task.cancel()
        for relay in relays & done:
            relay.result()  # the fan-out failed: raise it

    async def _relay(self, subscription) -> None:
        async for item in subscription:
            self.items.put((time.time(), item))

    async def _stopped(self) -> None:
        while not self.stop_event.is_set():
            await asyncio.sleep(IDLE_SECONDS)


class CameraAnalytics(CameraThread):
    def __init__(self, camera: Camera, detector: Callable[[], Detector]) -> None:
        super().__init__(name=f"camera-{camera.pk}-analytics", daemon=True)
        self.detector = detector
        self.camera_id = camera.pk
        self.config = config_of(camera)
        self.interval = 1.0 / camera.analytics_fps
        self.stop_event = threading.Event()
        self.offline = camera.status in (CameraStatus.OFFLINE, CameraStatus.ERROR)
        self.scene = services.scene_of(camera.pk)
        self.pending_scene: services.Scene | None = None
        self.engine = self._engine_for(self.scene)
        self.analyser: FrameAnalyser | None = None
        self.feed: LiveFeed | None = None
        self.decoder: LiveDecoder | None = None
        self.clock: LiveClock | None = None  # where the live video is, for the camera's own boxes
        self.next_analysis = 0.0  # arrival time of the next frame to analyse
        self.events: dict[tuple[int, int | None], dict] = {}  # firing key -> {"id", "boxes", "score", "snapshot"}
        self.showing_boxes = False
        self.last_pts = 0.0  # media time of the last analysed frame: an empty box set clears from there on
        self.source = camera.analysis_source
        self.broker = broker_of(camera)
        self.transport = camera.metadata_transport
        # For a camera whose metadata comes in its stream: when the analytics started, and whether any came since.
        self.started_at = time.time()
        self.metadata_seen = False
        # The camera analyses its scene before any privacy mask: its objects under one are left out. A PTZ camera's
        # masks fixed to its scene are where its position puts them at the moment (devices/ptz_position).
        by_camera = camera.analysis_source != AnalysisSource.SERVER
        self.masks = masks_of(camera) if by_camera else []
        scene_masks = scene_masks_of(camera) if by_camera else []
        self.position = (PositionFollower(camera, scene_masks, camera.ptz_optics, camera.ptz_max_speed)
                         if scene_masks else None)
        self.stored = SceneMetadataWriter(camera.pk) if camera.records else None
        self.scene_tracks = SceneTracks()  # the camera's own, from its metadata
        self.server_tracks: list[Track] = []  # the latest of this server's, for a camera analysed both ways

    def stop(self) -> None:
        self.stop_event.set()

    def _engine_for(self, scene: services.Scene) -> RuleEngine:
        return RuleEngine(scene.zones, scene.rules)

    def configure(self, scene: services.Scene, offline: bool) -> None:
        """Called by the worker each lease round: the camera's current rules and whether it is offline."""
        self.offline = offline
        if scene.signature != self.scene.signature:
            self.pending_scene = scene

    def run(self) -> None:
        try:
            feed = self.feed = self._start_feeds()
            if self.source != AnalysisSource.CAMERA:  # with the camera's metadata alone, nothing is decoded
                self.analyser = FrameAnalyser(self.detector(), settings.DETECTIONS_PER_SECOND)
                self._tell_problem("")
            # A worker that cannot confirm its lease stops (to start again once it can, if the camera is still its
            # own): another worker may be analysing the camera by now, and both would raise its events.
            while not self.stop_event.is_set() and self.lease.valid():
                self._apply_pending_scene()
                self._check_metadata_comes(time.time())
                try:
                    arrived, item = feed.items.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    self._idle()
                    continue
                if feed.items.qsize() > MAX_BACKLOG_FRAGMENTS:
                    self._skip_backlog((arrived, item), feed.items)
                    continue
                self._take(item, arrived)
        except ModelError as exc:
            log.error("camera %s: analytics cannot start: %s", self.camera_id, exc)
            self._tell_problem(f"The object detector cannot load, so nothing is analysed: {exc}")
        except Exception as exc:
            log.exception("camera %s: analytics failed", self.camera_id)
            self._tell_problem(f"Analytics stopped on an unexpected error ({type(exc).__name__}: {exc}); "
                               "they start again by themselves.")
        finally:
            self.stop_event.set()
            if self.position is not None:
                self.position.close()
            if self.stored is not None:
                self.stored.flush()
            self._record(self.engine.end_all(time.time()), None, datetime.now(UTC))
            self._publish_boxes(None, time.time(), {})
            connection.close()

    def _start_feeds(self) -> LiveFeed:
        """The feeds the camera's analysis source needs, started, into one queue: the video (the recorder's live
        feed) and the camera's metadata, unless the camera has none to follow (the reason is shown)."""
        # The live video is followed in every case: decoded for this server's analysis, or only timed for the
        # camera's own boxes to be drawn on their frames, and then only while someone watches it live. The camera's
        # metadata track comes the same way, from its recorder.
        video = LiveFeed(self.camera_id, self.stop_event, watch=self.source != AnalysisSource.CAMERA,
                         metadata=self.source != AnalysisSource.SERVER and self.transport == MetadataTransport.STREAM)
        video.start()
        if self.source == AnalysisSource.SERVER or self.transport == MetadataTransport.STREAM:
            return video
        if self.broker is None:
            self._tell_problem("The camera's own analytics need the MQTT topic it publishes its metadata on, and a "
                               "broker (the camera's or the site's, VMS_MQTT_URL).")
            return video
        MetadataFeed(self.camera_id, self.broker, self.stop_event, video.items).start()
        return video

    def _tell_problem(self, problem: str) -> None:
        """Show why the analytics do not run (or, with "", that they do) in the camera's status."""
        problem = problem[:500]
        if Camera.objects.filter(pk=self.camera_id).exclude(analytics_error=problem).update(analytics_error=problem):
            publish_status(self.camera_id)

    def _take(self, item, arrived: float) -> None:
        if isinstance(item, LiveStart):
            mp4 = item.meta.get("mime", "").startswith("video/mp4")
            self.clock = LiveClock(item.init) if mp4 else None
            # With the camera's metadata alone, the video is only timed, never decoded.
            self.decoder = LiveDecoder(item.init) if mp4 and self.source != AnalysisSource.CAMERA else None
            if self.decoder is not None:  # the GOP so far: decoded for its reference frames, too old to analyse
                for _seq, _keyframe, fragment in item.fragments:
                    self.decoder.decode(fragment)
        elif isinstance(item, LiveEnded):
            self.decoder = self.clock = None
        elif isinstance(item, LiveFragment):
            if self.clock is not None:
                self.clock.fragment(item.data, arrived)
            if self.decoder is not None:
                for pts, frame in self.decoder.decode(item.data):
                    self._analyse(frame, pts, arrived)
        elif isinstance(item, BrokerState):
            self._tell_problem(item.problem)
        elif isinstance(item, SceneFrame):
            # The camera's boxes are drawn on the frame that arrived with them.
            self._apply_scene(item, None, datetime.fromtimestamp(arrived, UTC), arrived)
        elif isinstance(item, CameraMetadata):
            self._take_metadata(item, arrived)
        elif isinstance(item, TrackSummary):
            self._take_summary(item, arrived)

    def _take_summary(self, summary: TrackSummary, arrived: float) -> None:
        """The device summed up a track as it ended: the track leaves the scene now, and its summary is kept for
        searching what passed."""
        number = self._end_track(summary.id)
        object_tracks.keep(self.camera_id, summary, number, datetime.fromtimestamp(arrived, UTC), self._masks())

    def _masks(self) -> list[list[tuple[float, float]]]:
        """The privacy masks on the camera's picture now."""
        if self.position is None:
            return self.masks
        return self.masks + [list(mask.points) for mask in self.position.masks()]

    def _end_track(self, device_track: str) -> int | None:
        return self.scene_tracks.end(device_track)

    def _take_metadata(self, metadata: CameraMetadata, arrived: float) -> None:
        """A document of the camera's metadata track: its boxes are drawn on the frame it describes (its media
        time, from the recorder), or when that is not known, on the frame that arrived with it."""
        if not self.metadata_seen:
            self.metadata_seen = True
            self._tell_problem("")
        try:
            frames = parse_metadata_stream(metadata.document)
        except MalformedMetadata as exc:
            log.warning("camera %s: ignored a document of its metadata track: %s", self.camera_id, exc)
            return
        for frame in frames:
            self._apply_scene(frame, metadata.pts, metadata.at, arrived)

    def _apply_scene(self, frame: SceneFrame, pts: float | None, at: datetime | None, arrived: float) -> None:
        """Apply a frame of the camera's metadata: `pts` is the media time of its video frame, `at` when that frame
        was in the recording (None: it is not kept, for the recording's time of it is not known)."""
        if pts is None and self.clock is not None:
            pts = self.clock.pts_at(arrived)
        self.last_pts = pts if pts is not None else self.last_pts
        tracks = self.scene_tracks.update(outside_masks(frame, self._masks()), arrived)
        if self.stored is not None and at is not None:
            self.stored.add(at, tracks)
        self._apply(Analysis(arrived, None, None, [], tracks, None), arrived)

    def _analyse(self, frame, pts: float, arrived: float) -> None:
        """Analyse the frame if one is due and no newer frame waits: when analysis is slower than the camera,
        the frames in between are only decoded, so the boxes stay as fresh as the analysis allows.
        Rules and tracks run on arrival times (seconds since the epoch): the media clock restarts with the
        stream, the wall clock does not."""
        if arrived < self.next_analysis or not self.feed.items.empty():
            return
        self.next_analysis = max(self.next_analysis + self.interval, arrived - self.interval)
        analysis = self.analyser.analyse(frame.to_ndarray(format="bgr24"), arrived)
        self.server_tracks = analysis.tracks
        self.last_pts = pts
        self._apply(analysis, arrived)

    def _apply(self, analysis: Analysis, arrived: float) -> None:
        """Apply the rules to what one analysis found, with the latest of the other kind of analysis."""
        if self.source == AnalysisSource.BOTH:
            analysis = replace(analysis, tracks=merged_tracks(self.scene_tracks.current(arrived), self.server_tracks))
        at = datetime.fromtimestamp(arrived, UTC)
        update = self.engine.update(arrived, analysis.tracks, motion=analysis.motion, tamper=analysis.tamper,
                                    active=self.scene.active_rules(at))
        self._record(update, analysis, at)
        self._publish_boxes(analysis, arrived, update.box_states)

    def _idle(self) -> None:
        """No picture or metadata for a while: offline rules and schedules still apply, and the camera's tracks
        stay until they are too old (a camera publishes fewer frames of a still scene)."""
        now = time.time()
        at = datetime.fromtimestamp(now, UTC)
        tracks = self.scene_tracks.current(now)
        update = self.engine.update(now, tracks, offline=self.offline, active=self.scene.active_rules(at))
        self._record(update, None, at)
        if self.showing_boxes:
            self._publish_boxes(Analysis(now, None, None, [], tracks, None) if tracks else None, now,
                                update.box_states)

    def _check_metadata_comes(self, now: float) -> None:
        """Say so when a camera whose metadata should come in its stream has sent none for a while (cameras send
        their scene description regularly, empty or not, as ONVIF recommends)."""
        waited = now - self.started_at
        if (self.source == AnalysisSource.SERVER or self.transport != MetadataTransport.STREAM or self.metadata_seen
                or waited < METADATA_WAIT_SECONDS or self.offline):
            return
        self._tell_problem(f"No analytics metadata has come in the camera's stream in {waited:.0f} s: turn on the "
                           "metadata (analytics, object data) in the stream profile its RTSP address names (ONVIF "
                           "Profile M), or take its metadata over MQTT.")
        self.started_at = now  # say it again, with the longer wait, a while later

    def _skip_backlog(self, taken: tuple, items: queue.Queue) -> None:
        """Drop the fragments waiting, `taken` (the item just read) among them, but not a start or end of the
        stream: a start dropped (the first item, when loading the detector took long) would leave no decoder."""
        log.warning("camera %s: analytics fell behind, skipping to the next keyframe", self.camera_id)
        backlog = [taken]
        while not items.empty():
            backlog.append(items.get_nowait())
        for arrived, item in backlog:
            if isinstance(item, LiveStart | LiveEnded):
                self._take(item, arrived)
        if self.decoder is not None:
            self.decoder.started = False

    def _apply_pending_scene(self) -> None:
        if self.pending_scene is None:
            return
        self._record(self.engine.end_all(time.time()), None, datetime.now(UTC))
        self.scene, self.pending_scene = self.pending_scene, None
        self.engine = self._engine_for(self.scene)
        log.info("camera %s: analytics now apply %d rules", self.camera_id, len(self.scene.rules))

    def _record(self, update: SceneUpdate, analysis: Analysis | None, at: datetime) -> None:
        """Turn firings into events; keep each open event's path and best picture; count crossings."""
        tracks = {track.id: track for track in analysis.tracks} if analysis else {}
        for firing in update.started:
            self._start_event(firing, analysis, at, tracks)
        for key, event in self.events.items():
            track = tracks.get(key[1]) if key[1] is not None else None
            if track is None or track.missing:
                continue
            if len(event["boxes"]) < MAX_EVENT_BOXES:
                box = track.box
                event["boxes"].append({"t": at.isoformat(), "x": box.x, "y": box.y, "w": box.w, "h": box.h})
            if track.score > event["score"]:
                event["score"], event["snapshot"] = track.score, _snapshot(analysis, track.box)
        for firing in update.ended:
            event = self.events.pop((firing.rule_id, firing.track), None)
            if event is not None:
                services.end_event(event["id"], at, event["boxes"], event["snapshot"])
        if analysis is not None:
            services.add_counts(self.camera_id, update.counted, at)

    def _start_event(self, firing: Firing, analysis: Analysis | None, at: datetime, tracks: dict) -> None:
        track = tracks.get(firing.track) if firing.track is not None else None
        picture = _snapshot(analysis, track.box if track else None)
        event = services.start_event(self.camera_id, firing.rule_id, at, firing.label, firing.track, picture)
        if event is None:
            return
        boxes = []
        if track is not None:  # the path that led up to the event
            boxes = [{"t": datetime.fromtimestamp(t, UTC).isoformat(), "x": b.x, "y": b.y, "w": b.w, "h": b.h}
                     for t, b in track.path]
        self.events[(firing.rule_id, firing.track)] = {
            "id": event.pk, "boxes": boxes, "score": track.score if track else 0.0, "snapshot": picture,
        }

    def _publish_boxes(self, analysis: Analysis | None, arrived: float, states: dict) -> None:
        boxes = []
        for track in analysis.tracks if analysis else []:
            state, text = states.get(track.id, ("tracked", track.label))
            box = track.box
            boxes.append({"track": track.id, "label": track.label, "score": round(track.score, 3),
                          "x": round(box.x, 4), "y": round(box.y, 4), "w": round(box.w, 4), "h": round(box.h, 4),
                          "state": state, "text": text})
        if not boxes and not self.showing_boxes:
            return
        self.showing_boxes = bool(boxes)
        realtime.publish(realtime.camera_group(self.camera_id), "overlay.boxes", {
            "camera": self.camera_id, "pts": self.last_pts, "frame_at": arrived, "boxes": boxes,
        })


def _snapshot(analysis: Analysis | None, box: Box | None) -> bytes | None:
    """A picture of the object, where the analysis decoded one (the camera's metadata comes without)."""
    return snapshot(analysis.picture, box) if analysis is not None and analysis.picture is not None else None


def masks_of(camera: Camera) -> list[list[tuple[float, float]]]:
    """The camera's privacy masks on its picture (not those fixed to a PTZ camera's scene)."""
    return [[(x, y) for x, y in mask.points] for mask in camera.privacy_masks.all() if mask.scene_points is None]


def config_of(camera: Camera) -> tuple:
    """What, when changed, restarts a camera's analytics (zones and rules are applied without a restart)."""
    return (camera.analytics_fps, camera.analysis_source, camera.metadata_transport, broker_of(camera),
            camera.records,
            (masks_of(camera), scene_masks_of(camera)) if camera.analysis_source != AnalysisSource.SERVER else None,
            placement_of(camera))


def placement_of(camera: Camera) -> PlanPlacement | None:
    """Where a radar stands on its site plan; None for a camera, or a radar not placed yet."""
    return camera.plan_placement if camera.is_radar else None


class AnalyticsWorker(LeasingProcess):
    kind = "analytics"
    holder_field = "analyser"
    epoch_field = "analysis_lease_epoch"

    def __init__(self, tick_seconds: float | None = None) -> None:
        super().__init__(tick_seconds)
        self.loading = threading.Lock()
        self.shared_detector: Detector | None = None

    def eligible_cameras(self):
        return eligible_cameras()

    def config_of(self, camera: Camera) -> tuple:
        return config_of(camera)

    def start_camera(self, camera: Camera) -> CameraAnalytics:
        if camera.is_radar:
            from analytics.radar import RadarAnalytics  # it builds on CameraAnalytics

            return RadarAnalytics(camera, self.detector)
        return CameraAnalytics(camera, self.detector)

    def detector(self) -> Detector:
        """The process's one detector, loaded on first use: its weights are large and it serves one camera at
        a time (it has a lock), so for more detection throughput run more analytics processes, one per core."""
        with self.loading:
            if self.shared_detector is None:
                self.shared_detector = load_detector(settings.DETECTOR_MODEL or None, settings.DETECTOR_MIN_SCORE)
            return self.shared_detector

    def after_tick(self, mine: dict[int, Camera]) -> None:
        for camera_id, thread in self.threads.items():
            camera = mine[camera_id]
            thread.configure(services.scene_of(camera_id),
                             offline=camera.status in (CameraStatus.OFFLINE, CameraStatus.ERROR))
