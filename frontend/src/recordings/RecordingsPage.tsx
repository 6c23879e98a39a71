/**
 * One camera's recordings of one day: the player, its controls, the timeline with the day's events, clip
 * download and redacted export, the unmasked recording for those allowed to see it, and the boxes of the camera's
 * own analytics as recorded, and for a camera whose sound is recorded a switch for it (muted until unmuted, as
 * live). `?at=<ISO time>` (from an alarm or an event) opens the day of that moment and plays
 * from it.
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { cameras as camerasApi, recordings } from "../api/endpoints";
import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { navigate, useLocation } from "../app/router";
import { useCan } from "../app/session";
import { ErrorNote } from "../components/Notice";
import { clock } from "../components/format";
import { RedactedExportForm } from "../exports/RedactedExportForm";
import { frameOf, type VideoFrame } from "../exports/videoFrame";
import { OverlayCanvas } from "../live/OverlayCanvas";
import { UnmaskedBadge } from "../privacy/UnmaskedBadge";
import { UnmaskedSwitch } from "../privacy/UnmaskedSwitch";
import { ClipPanel } from "./ClipPanel";
import { DayPicker } from "./DayPicker";
import { PlaybackControls } from "./PlaybackControls";
import { RecordingPlayback, type PlaybackProblem } from "./recordingPlayback";
import { SceneReplay } from "./sceneReplay";
import { Timeline } from "./Timeline";
import { useEventMarks } from "./useEventMarks";
import { usePlayhead } from "./usePlayhead";
import { useSceneFrames } from "./useSceneFrames";
import {
  clampWindow,
  dayKey,
  dayWindow,
  MINUTE,
  follow,
  nextRecording,
  previousRecording,
  recordedOf,
  recordingAt,
  type Recorded,
  type Window,
} from "./timelineMath";

const REFRESH_TODAY_MS = 30_000;
/** Opened at a moment, the timeline shows this much either side of it, where events and seconds can be told apart. */
const AROUND_AT = 5 * MINUTE;

export function RecordingsPage({ camera: id }: { camera: string }) {
  const cameraId = Number(id);
  const canExport = useCan(PERMISSION.exportClip);
  const { search } = useLocation();
  const at = search.get("at");
  const atMoment = at ? Date.parse(at) : NaN;
  const dayParam = search.get("day") || dayKey(Number.isNaN(atMoment) ? new Date() : new Date(atMoment));
  const day = useMemo(() => dayWindow(dayParam), [dayParam]);

  const [camera, setCamera] = useState<Camera | null>(null);
  const [cameraList, setCameraList] = useState<Camera[]>([]);
  const [cameraError, setCameraError] = useState<unknown>(null);
  /** The recorded sound plays muted until the user unmutes it, as live. */
  const [muted, setMuted] = useState(true);
  const [recorded, setRecorded] = useState<Recorded[] | null>(null);
  const [timelineError, setTimelineError] = useState<unknown>(null);
  const [view, setView] = useState<Window>(day);
  const [selection, setSelection] = useState<Window | null>(null);
  const [rate, setRate] = useState(1);
  const [problem, setProblem] = useState<PlaybackProblem>(null);
  const [loading, setLoading] = useState(false);
  const [note, setNote] = useState("");
  /** The frame the redacted export form draws its fixed areas on, while that form is open. */
  const [exportFrame, setExportFrame] = useState<VideoFrame | null>(null);
  const [unmasked, setUnmasked] = useState<string | null>(null);
  const [cameraBoxes, setCameraBoxes] = useState(true);

  const video = useRef<HTMLVideoElement>(null);
  const playback = useRef<RecordingPlayback | null>(null);
  const playedAt = useRef<number | null>(null);
  const eventMarks = useEventMarks(cameraId, day);
  // The animation loop and media events read the newest values through this.
  const latest = useRef({ view, day, recorded });
  latest.current = { view, day, recorded };

  // While it plays, the timeline scrolls along with the playhead.
  const { playhead, playing } = usePlayhead(video, playback, (moment) => {
    const { view: shown, day: limits } = latest.current;
    if (moment > shown.end || moment < shown.start) setView(follow(shown, moment, limits));
  });
  // The camera's own boxes around the playhead, drawn over the frame on screen: its media time is turned into wall
  // time as the playhead's is.
  const sceneFrames = useSceneFrames(cameraId, playhead);
  const sceneReplay = useMemo(
    () => new SceneReplay(cameraId, sceneFrames, (media) => playback.current?.wallAt(media) ?? null),
    [cameraId, sceneFrames],
  );

  useEffect(() => {
    playback.current = new RecordingPlayback(video.current!, { onProblem: setProblem, onLoading: setLoading });
    return () => playback.current?.destroy();
  }, []);

  useEffect(() => {
    camerasApi.get(cameraId).then(setCamera, setCameraError);
    camerasApi.list().then(setCameraList, () => undefined);
  }, [cameraId]);

  useEffect(() => {
    setView(day);
    setSelection(null);
    setProblem(null);
    setNote("");
    setRecorded(null);
    playback.current?.destroy();
    const controller = new AbortController();
    const load = () =>
      recordings.timeline(cameraId, new Date(day.start), new Date(day.end), controller.signal).then(
        (timeline) => { setRecorded(recordedOf(timeline.recorded)); setTimelineError(null); },
        (failure) => { if (!controller.signal.aborted) setTimelineError(failure); },
      );
    load();
    // Today's recordings grow while we look; older days do not change.
    const today = Date.now() >= day.start && Date.now() < day.end;
    const timer = today ? window.setInterval(load, REFRESH_TODAY_MS) : undefined;
    return () => { controller.abort(); window.clearInterval(timer); };
  }, [cameraId, day.start, day.end]);

  // Opened at a moment: play from it once the day's recordings are known, once (they reload every 30 s today).
  useEffect(() => {
    if (Number.isNaN(atMoment) || recorded === null || playedAt.current === atMoment) return;
    playedAt.current = atMoment;
    playFrom(atMoment);
    setView(clampWindow({ start: atMoment - AROUND_AT, end: atMoment + AROUND_AT }, day));
  }, [atMoment, recorded]);

  /** Play from a moment; in a gap, from the next recording after it. */
  function playFrom(moment: number) {
    const spans = latest.current.recorded ?? [];
    const inside = recordingAt(spans, moment);
    const target = inside ? moment : spans.find((r) => r.start >= moment)?.start;
    if (target === undefined) {
      setNote(`Nothing was recorded after ${clock(new Date(moment))} on this day.`);
      return;
    }
    setNote(inside ? "" : `Nothing was recorded at ${clock(new Date(moment))}; playing from ${clock(new Date(target))}.`);
    const shown = follow(latest.current.view, target, day);
    if (shown !== latest.current.view) setView(shown);
    // The day's footage from the target on, an hour at a time as it plays; past its end, onEnded carries on.
    playback.current!.playFrom(cameraId, target, new Date(day.start), new Date(day.end));
  }

  function toggle() {
    const element = video.current!;
    if (playhead === null) {
      const first = (recorded ?? []).find((r) => r.end > view.start);
      if (first) playFrom(Math.max(first.start, view.start));
      else setNote("No recordings on this day.");
      return;
    }
    if (element.paused || element.ended) element.play().catch(() => undefined);
    else element.pause();
  }

  function step(frames: number) {
    const element = video.current!;
    element.pause();
    const fps = camera?.live_status.fps || 25;
    element.currentTime = Math.max(0, element.currentTime + frames / fps);
  }

  function changeRate(next: number) {
    setRate(next);
    const element = video.current!;
    element.defaultPlaybackRate = next;
    element.playbackRate = next;
  }

  // The other recording from the moment shown: the next load asks for it, with or without the token.
  function switchUnmasked(token: string | null) {
    setUnmasked(token);
    playback.current!.setUnmasked(token);
    const moment = playback.current!.now();
    if (moment !== null) playFrom(moment);
  }

  function openRedactedExport() {
    const { width, height } = camera?.live_status ?? {};
    setExportFrame(frameOf(video.current!, width && height ? { width, height } : { width: 1280, height: 720 }));
  }

  // The loaded span ended: carry on with what was recorded after it.
  function onEnded() {
    const moment = playback.current?.now();
    if (moment === null || moment === undefined) return;
    const next = recordingAt(recorded ?? [], moment + 200) ? moment + 200 : nextRecording(recorded ?? [], moment)?.start;
    if (next !== undefined) playFrom(next);
    else setNote("End of the recordings of this day.");
  }

  // Keyboard: space plays or pauses; arrows step a frame while paused.
  function onKey(event: KeyboardEvent) {
    if ((event.target as HTMLElement).closest("input, select, textarea")) return;
    if (event.key === " ") { event.preventDefault(); toggle(); }
    else if (event.key === "ArrowRight" && !playing && playhead !== null) { event.preventDefault(); step(1); }
    else if (event.key === "ArrowLeft" && !playing && playhead !== null) { event.preventDefault(); step(-1); }
  }

  const spans = recorded ?? [];
  const reference = playhead ?? view.start;
  const previous = previousRecording(spans, reference);
  const next = nextRecording(spans, reference);
  const empty = recorded !== null && recorded.length === 0;
  let overlay = "";
  if (timelineError) overlay = "";
  else if (recorded === null) overlay = "Loading recordings…";
  else if (empty) overlay = "No recordings on this day";
  else if (problem) overlay = problem.message;
  else if (loading) overlay = "Loading video…";
  else if (playhead === null) overlay = "Click the timeline to play from any moment";
  const rotation = camera?.rotation ?? 0;

  return (
    <section class="recordings-page" tabIndex={-1} onKeyDown={onKey}>
      <div class="toolbar">
        <a href="/recordings" class="back">← Recordings</a>
        <select aria-label="Camera" value={String(cameraId)} onChange={(e) => navigate(`/recordings/${e.currentTarget.value}?day=${dayParam}`)}>
          {(cameraList.length ? cameraList : camera ? [camera] : []).map((c) => <option value={String(c.id)}>{c.name}</option>)}
        </select>
        <DayPicker day={dayParam} onChange={(key) => navigate(`/recordings/${cameraId}?day=${key}`)} />
        <span class="spacer" />
        {note && <span class="note" data-testid="playback-note">{note}</span>}
        {camera && <UnmaskedSwitch camera={camera} token={unmasked} onToken={switchUnmasked} />}
      </div>
      <ErrorNote error={cameraError} title="This camera cannot be shown." />
      <ErrorNote error={timelineError} title="The recordings could not be loaded." />
      <div class={`recordings-body${canExport ? " with-side" : ""}`}>
        <div class="player" data-testid="player" data-rotation={rotation}>
          <video ref={video} class={`rotate-${rotation}${rotation % 180 ? " portrait" : ""}`} muted={muted} playsInline onEnded={onEnded}
            onLoadedMetadata={(e) => { e.currentTarget.playbackRate = rate; }} />
          {cameraBoxes && sceneFrames.length > 0 && (
            <OverlayCanvas camera={cameraId} video={video} schedule={sceneReplay} rotation={rotation} logged={false} />
          )}
          {overlay && <div class={`player-message${empty ? " empty" : ""}`} data-testid="player-message">{overlay}</div>}
          {unmasked && <UnmaskedBadge />}
        </div>
        {canExport && camera && (
          <ClipPanel camera={cameraId} day={day} selection={selection} recorded={spans} playhead={playhead} onSelect={setSelection}
            onRedactedExport={openRedactedExport} />
        )}
      </div>
      {camera && selection && exportFrame && (
        <RedactedExportForm camera={camera} span={selection} frame={exportFrame} onCancel={() => setExportFrame(null)} />
      )}
      <PlaybackControls playing={playing} rate={rate} playhead={playhead} canStep={!playing && playhead !== null}
        hasPrevious={Boolean(previous)} hasNext={Boolean(next)} onToggle={toggle} onRate={changeRate} onStep={step}
        onPrevious={() => previous && playFrom(previous.start)} onNext={() => next && playFrom(next.start)}>
        {sceneFrames.length > 0 && (
          <label class="checkbox-inline" title="The boxes of the objects the camera's own analytics saw, as recorded">
            <input type="checkbox" name="camera-boxes" checked={cameraBoxes}
              onChange={(e) => setCameraBoxes(e.currentTarget.checked)} />
            Camera's boxes
          </label>
        )}
        {camera?.record_audio && (
          <button type="button" class="sound-switch-playback" aria-pressed={!muted} data-testid="playback-sound"
            title={muted ? "Unmute the recorded sound" : "Mute the recorded sound"}
            onClick={() => setMuted(!muted)}>
            {muted ? "🔇 Sound off" : "🔊 Sound on"}
          </button>
        )}
      </PlaybackControls>
      <Timeline day={day} view={view} recorded={spans} events={eventMarks} playhead={playhead} selection={selection}
        onSelect={canExport ? setSelection : null} onSeek={playFrom} onView={setView} />
    </section>
  );
}
