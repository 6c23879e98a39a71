"""A radar's analytics: its tracks over MQTT placed on its site plan, its rules (intrusion, speed, heading) applied to
them, and its health (online while it reports). A radar is a device without video, so everything else (events,
alarms, overlay boxes on the plan, leases) is a camera's, from analytics.worker."""

from __future__ import annotations

import queue
import time
from datetime import UTC, datetime

from analytics import services
from analytics.worker import CameraAnalytics, placement_of
from devices.choices import AnalysisSource, CameraStatus
from devices.metadata_feed import BrokerState, MetadataFeed
from devices.models import Camera
from devices.status import set_status
from video.analysis import Analysis
from video.radar import RadarFrame, RadarRuleEngine, RadarTracks, as_track, parse_frame, radar_rules
from video.track_summaries import TrackSummary

# A radar that has reported nothing for this long is offline (radars report several times a second, empty or not).
SILENT_SECONDS = 10.0
# How often a reporting radar's last-heard time is written.
HEARD_WRITE_SECONDS = 5.0
# A PTZ camera that follows a radar's object is turned towards it at most this often, and only when it moved.
FOLLOW_EVERY_SECONDS = 1.0


class RadarAnalytics(CameraAnalytics):
    def __init__(self, camera: Camera, detector) -> None:
        self.placement = placement_of(camera)
        super().__init__(camera, detector)
        self.source = AnalysisSource.CAMERA  # a radar's own tracks, nothing to decode
        self.tracks = RadarTracks(self.placement) if self.placement is not None else None
        self.heard_at = 0.0
        self.heard_written = 0.0
        self.followed: dict[int, tuple[float, tuple[float, float]]] = {}  # event -> when and where it last turned

    def _engine_for(self, scene: services.Scene) -> RadarRuleEngine:
        return RadarRuleEngine(radar_rules(scene.rules))

    def _start_feeds(self) -> MetadataFeed:
        """The radar's MQTT feed, started unless it cannot be followed yet (the reason is shown)."""
        feed = MetadataFeed(self.camera_id, self.broker, self.stop_event, queue.Queue(), parse=parse_frame)
        if self.placement is None:
            self._tell_problem("Place the radar on a site plan: its objects and zones are positions on the plan.")
        elif self.broker is None:
            self._tell_problem("The radar's tracks need the MQTT topic it publishes them on, and a broker (its own "
                               "or the site's, VMS_MQTT_URL).")
        else:
            feed.start()
        return feed

    def _take(self, item, arrived: float) -> None:
        if isinstance(item, BrokerState):
            self._tell_problem(item.problem)
        elif isinstance(item, RadarFrame) and self.tracks is not None:
            self._heard(arrived)
            self._apply_radar(self.tracks.update(item, arrived), arrived)
        elif isinstance(item, TrackSummary):
            self._take_summary(item, arrived)

    def _end_track(self, device_track: str) -> int | None:
        return self.tracks.end(device_track) if self.tracks is not None else None

    def _idle(self) -> None:
        now = time.time()
        if self.heard_at and now - self.heard_at > SILENT_SECONDS:
            self.heard_at = 0.0
            set_status(self.camera_id, CameraStatus.OFFLINE,
                       f"The radar has reported nothing for {SILENT_SECONDS:.0f} s.")
        self._apply_radar(self.tracks.current(now) if self.tracks is not None else [], now)

    def _apply_radar(self, tracks, now: float) -> None:
        at = datetime.fromtimestamp(now, UTC)
        update = self.engine.update(now, tracks, active=self.scene.active_rules(at))
        analysis = Analysis(now, None, None, [], [as_track(track, self.placement) for track in tracks], None)
        self._record(update, analysis, at)
        self._follow(tracks, now)
        self._publish_boxes(analysis, now, update.box_states)

    def _follow(self, tracks, now: float) -> None:
        """Turn the PTZ camera of each open event whose rule follows its object towards where the object is now."""
        seen = {track.id: track for track in tracks if not track.missing}
        open_events = set()
        for (rule_id, track_id), event in self.events.items():
            open_events.add(event["id"])
            track = seen.get(track_id)
            if rule_id not in self.scene.followed or track is None:
                continue
            last = self.followed.get(event["id"])
            if last is not None and (now - last[0] < FOLLOW_EVERY_SECONDS or last[1] == track.point):
                continue
            self.followed[event["id"]] = (now, track.point)
            services.enqueue_follow(event["id"], track.point, first=last is None)
        self.followed = {event: turned for event, turned in self.followed.items() if event in open_events}

    def _heard(self, now: float) -> None:
        if not self.heard_at:
            set_status(self.camera_id, CameraStatus.ONLINE, "")
        self.heard_at = now
        if now - self.heard_written >= HEARD_WRITE_SECONDS:
            self.heard_written = now
            Camera.objects.filter(pk=self.camera_id).update(last_frame_at=datetime.fromtimestamp(now, UTC))

