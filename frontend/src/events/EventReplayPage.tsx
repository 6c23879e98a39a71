/** One event replayed: its recording from a few seconds before, with the tracked object's box over each frame. */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { cameras, events } from "../api/endpoints";
import type { Camera, CameraEvent } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { clock } from "../components/format";
import { RecordingPlayback, type PlaybackProblem } from "../recordings/recordingPlayback";
import { usePlayhead } from "../recordings/usePlayhead";
import { EventFacts } from "./EventFacts";
import { boxAt, rotatedBox, timedBoxes } from "./replayBoxes";
import { ReplayOverlay } from "./ReplayOverlay";
import { useShownFrame } from "./useShownFrame";

/** Replay starts this long before the event, to see the object arrive. */
const LEAD_MS = 3_000;
/** The replay reaches this far past both ends, so a little before and after can be watched too. */
const MARGIN_MS = 30_000;

export function EventReplayPage({ event: id }: { event: string }) {
  const [event, setEvent] = useState<CameraEvent | null>(null);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<PlaybackProblem>(null);
  const [loading, setLoading] = useState(false);
  const [picture, setPicture] = useState<{ width: number; height: number } | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const playback = useRef<RecordingPlayback | null>(null);
  const { playhead, playing } = usePlayhead(video, playback, () => undefined);
  const shown = useShownFrame(video, playback);
  const boxes = useMemo(() => timedBoxes(event?.boxes ?? []), [event]);

  useEffect(() => {
    playback.current = new RecordingPlayback(video.current!, { onProblem: setProblem, onLoading: setLoading });
    return () => playback.current?.destroy();
  }, []);

  useEffect(() => {
    events.get(Number(id)).then((found) => {
      setEvent(found);
      cameras.get(found.camera).then(setCamera, () => undefined);
    }, setError);
  }, [id]);

  useEffect(() => {
    if (event) replay(event);
  }, [event]);

  function replay(which: CameraEvent) {
    const started = Date.parse(which.started_at);
    const ended = which.ended_at ? Date.parse(which.ended_at) : Date.now();
    playback.current!.playFrom(which.camera, started - LEAD_MS, new Date(started - MARGIN_MS), new Date(Math.max(ended, started) + MARGIN_MS));
  }

  function toggle() {
    const element = video.current!;
    if (playhead === null) {
      if (event) replay(event);
    } else if (element.paused || element.ended) {
      element.play().catch(() => undefined);
    } else {
      element.pause();
    }
  }

  function step(frames: number) {
    const element = video.current!;
    element.pause();
    element.currentTime = Math.max(0, element.currentTime + frames / (camera?.live_status.fps || 25));
  }

  const rotation = camera?.rotation ?? 0;
  const portrait = rotation === 90 || rotation === 270;
  const width = picture?.width || camera?.live_status.width || 16;
  const height = picture?.height || camera?.live_status.height || 9;
  const found = shown === null ? null : boxAt(boxes, shown);
  let message = "";
  if (problem) message = problem.message;
  else if (loading) message = "Loading video…";

  return (
    <section class="event-replay">
      <div class="page-title">
        <a href="/events" class="back">← Events</a>
        <h1>{event ? `${event.rule_name} · ${event.camera_name}` : "Event"}</h1>
      </div>
      <ErrorNote error={error} title="This event cannot be shown." />
      {!event && !error && <Loading what="the event" />}
      <div class="replay-body">
        <div>
          <div class="replay-player" data-testid="replay-player" data-event-id={id} data-rotation={rotation}>
            <div class="replay-frame" style={{ "--aspect": String(portrait ? height / width : width / height) }}>
              <video ref={video} class={`rotate-${rotation}${portrait ? " portrait" : ""}`} muted playsInline
                onLoadedMetadata={(e) => setPicture({ width: e.currentTarget.videoWidth, height: e.currentTarget.videoHeight })} />
              <ReplayOverlay box={found && rotatedBox(found, rotation)} label={event?.object_class ?? ""} frameAt={shown} />
            </div>
            {message && <div class="player-message" data-testid="player-message">{message}</div>}
          </div>
          <div class="playback-controls" data-testid="replay-controls">
            <button type="button" aria-label="One frame back" title="One frame back" disabled={playing || playhead === null} onClick={() => step(-1)}>−1 frame</button>
            <button type="button" class="primary play" data-testid="play-pause" aria-label={playing ? "Pause" : "Play"} onClick={toggle}>
              {playing ? "❚❚ Pause" : "▶ Play"}
            </button>
            <button type="button" aria-label="One frame forward" title="One frame forward" disabled={playing || playhead === null} onClick={() => step(1)}>+1 frame</button>
            <button type="button" disabled={!event} onClick={() => event && replay(event)}>From the start</button>
            <span class="playhead-time" data-testid="playhead-time">{playhead === null ? "—" : clock(new Date(playhead))}</span>
          </div>
        </div>
        {event && <EventFacts event={event} />}
      </div>
    </section>
  );
}
