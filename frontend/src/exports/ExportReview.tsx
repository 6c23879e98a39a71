/**
 * Review before rendering: the source video of the span with the tracks' boxes over it, the tracks ticked to be
 * masked (untick the persons of interest to leave them visible), boxes added by hand where detection missed, and
 * Render.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Camera, Export, ExportTrack, ManualBox } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { ManualBoxList } from "./ManualBoxList";
import { boxesAt, timelinesOf } from "./reviewBoxes";
import { ReviewOverlay, type DrawnBox } from "./ReviewOverlay";
import { TrackList } from "./TrackList";
import { useSpanReplay } from "./useSpanReplay";

interface ExportReviewProps {
  item: Export;
  /** For its rotation, picture shape and frame rate; null while it loads. */
  camera: Camera | null;
  /** Rendering started, or the export moved on without us (409): the export as it is now, or null to reload it. */
  onChanged: (item: Export | null) => void;
}

/** A box drawn by hand masks this long unless the investigator says otherwise. */
const MANUAL_SECONDS = 1;
const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

export function ExportReview({ item, camera, onChanged }: ExportReviewProps) {
  const start = Date.parse(item.start);
  const end = Date.parse(item.end);
  const length = (end - start) / 1000;
  const replay = useSpanReplay(item.camera, start, end, camera?.live_status.fps || 25);
  const [tracks, setTracks] = useState<ExportTrack[] | null>(null);
  const [masked, setMasked] = useState<Set<number>>(new Set());
  const [manual, setManual] = useState<ManualBox[]>([]);
  const [adding, setAdding] = useState(false);
  const [picture, setPicture] = useState<{ width: number; height: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [rendering, setRendering] = useState(false);
  const [renderError, setRenderError] = useState<unknown>(null);
  const timelines = useMemo(() => timelinesOf(tracks ?? []), [tracks]);

  useEffect(() => {
    redactedExports.tracks(item.id).then((found) => {
      setTracks(found);
      setMasked(new Set(found.filter((track) => track.masked).map((track) => track.id)));
    }, setError);
  }, [item.id]);

  const seconds = replay.seconds;
  const paused = !replay.playing && seconds !== null;
  const boxes = seconds === null ? [] : boxesAt(timelines, masked, manual, seconds);

  function added(box: DrawnBox) {
    const t = round(Math.min(length, Math.max(0, seconds ?? 0)));
    setManual([...manual, { t, until: round(t + MANUAL_SECONDS), ...box }]);
    setAdding(false);
  }

  async function render() {
    setRendering(true);
    setRenderError(null);
    try {
      onChanged(await redactedExports.render(item.id, { mask_only: [...masked], manual }));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        onChanged(null);
        return;
      }
      setRenderError(failure);
      setRendering(false);
    }
  }

  const rotation = camera?.rotation ?? 0;
  const portrait = rotation === 90 || rotation === 270;
  const width = picture?.width || camera?.live_status.width || 16;
  const height = picture?.height || camera?.live_status.height || 9;
  return (
    <section class="card export-review" data-testid="export-review">
      <h2>Review</h2>
      <p class="muted">
        Ticked tracks are masked (red); untick the persons of interest to leave them visible (green). Where something
        was missed, pause on it, choose “Add a box here” and drag a box over it.
      </p>
      <div class="review-body">
        <div>
          <div class="replay-player" data-testid="review-player" data-rotation={rotation}>
            <div class="replay-frame" style={{ "--aspect": String(portrait ? height / width : width / height) }}>
              <video ref={replay.video} class={`rotate-${rotation}${portrait ? " portrait" : ""}`} muted playsInline
                onLoadedMetadata={(e) => setPicture({ width: e.currentTarget.videoWidth, height: e.currentTarget.videoHeight })} />
              <ReviewOverlay boxes={boxes} rotation={rotation} onDrawn={adding ? added : null} />
            </div>
            {replay.message && <div class="player-message" data-testid="player-message">{replay.message}</div>}
          </div>
          <div class="playback-controls" data-testid="review-controls">
            <button type="button" aria-label="One frame back" title="One frame back" disabled={!paused} onClick={() => replay.step(-1)}>−1 frame</button>
            <button type="button" class="primary play" data-testid="play-pause" aria-label={replay.playing ? "Pause" : "Play"}
              onClick={() => { setAdding(false); replay.toggle(); }}>
              {replay.playing ? "❚❚ Pause" : "▶ Play"}
            </button>
            <button type="button" aria-label="One frame forward" title="One frame forward" disabled={!paused} onClick={() => replay.step(1)}>+1 frame</button>
            <button type="button" onClick={() => replay.seek(0)}>From the start</button>
            <button type="button" aria-pressed={adding} disabled={!paused} onClick={() => setAdding(!adding)}>Add a box here</button>
            <span class="playhead-time" data-testid="review-time">
              {seconds === null ? "—" : `${Math.max(0, seconds).toFixed(2)} s of ${length.toFixed(0)} s`}
            </span>
          </div>
          {adding && <p class="muted small">Drag a box over what should be masked on this frame; Play cancels.</p>}
        </div>
        <div class="review-side">
          <h3>Tracks</h3>
          <ErrorNote error={error} title="The tracks could not be loaded." />
          {!tracks && !error && <Loading what="tracks" />}
          {tracks && <TrackList tracks={tracks} masked={masked} onMasked={setMasked} onShow={(track) => replay.seek((Date.parse(track.first) - start) / 1000)} />}
          <ManualBoxList boxes={manual} onChange={setManual} onShow={(box) => replay.seek(box.t)} />
          <ErrorNote error={renderError} title="The export could not be rendered." />
          <div class="actions">
            <button type="button" class="primary" disabled={rendering || !tracks} onClick={render}>
              {rendering ? "Starting…" : "Render"}
            </button>
          </div>
        </div>
      </div>
    </section>
  );
}
