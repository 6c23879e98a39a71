/**
 * Review before rendering: the source video of the span with the tracks' boxes over it, the tracks ticked to be
 * masked (untick the persons of interest to leave them visible, saying why), boxes added by hand where detection
 * missed or followed by the VMS from one drawn box, spans masked whole, and Render.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import { ApiError } from "../api/http";
import type { Camera, Export, ExportTrack, FollowedBox, ManualBox, MaskedRange } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { ManualBoxList } from "./ManualBoxList";
import { boxesAt, timelinesOf } from "./reviewBoxes";
import { FollowedBoxList, MaskedRangeList } from "./ReviewMaskList";
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
  const [followed, setFollowed] = useState<FollowedBox[]>([]);
  const [ranges, setRanges] = useState<MaskedRange[]>([]);
  const [reasons, setReasons] = useState<Map<number, string>>(new Map());
  const [rangeFrom, setRangeFrom] = useState<number | null>(null);
  /** What a box dragged over the paused picture becomes: masked on this frame (and a second on), or followed. */
  const [adding, setAdding] = useState<"box" | "follow" | null>(null);
  /** Whether the last try at adding a box was a click, which draws none. */
  const [clicked, setClicked] = useState(false);
  const [following, setFollowing] = useState(false);
  const [followError, setFollowError] = useState<unknown>(null);
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
  const boxes = seconds === null ? [] : boxesAt(timelines, masked, { manual, followed, ranges }, seconds);
  const kept = (tracks ?? []).filter((track) => !masked.has(track.id)).map((track) => track.id);
  const unexplained = kept.filter((id) => !(reasons.get(id) ?? "").trim());
  const now = () => round(Math.min(length, Math.max(0, seconds ?? 0)));

  async function added(box: DrawnBox) {
    const t = now();
    setAdding(null);
    if (adding === "box") {
      setManual([...manual, { t, until: round(t + MANUAL_SECONDS), ...box }]);
      return;
    }
    setFollowing(true);
    setFollowError(null);
    try {
      const found = await redactedExports.follow(item.id, { t, ...box });
      setFollowed((before) => [...before, found]);
    } catch (failure) {
      setFollowError(failure);
    } finally {
      setFollowing(false);
    }
  }

  function startAdding(what: "box" | "follow") {
    setAdding(adding === what ? null : what);
    setClicked(false);
  }

  function rangeEnds() {
    if (rangeFrom === null) {
      setRangeFrom(now());
      return;
    }
    const [from, to] = [rangeFrom, now()].sort((a, b) => a - b);
    setRanges([...ranges, { start: from, end: to }]);
    setRangeFrom(null);
  }

  async function render() {
    setRendering(true);
    setRenderError(null);
    try {
      onChanged(await redactedExports.render(item.id, {
        keep_visible: kept,
        reasons: Object.fromEntries(kept.map((id) => [String(id), (reasons.get(id) ?? "").trim()])),
        manual,
        followed,
        masked_ranges: ranges,
      }));
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
        Ticked tracks are masked (red); untick the persons of interest to leave them visible (green) and say why. The
        pictures under each track run across its span: check they show one person. Where something was missed, pause
        on it, choose “Add a box here” (or “Add a box that follows” to have it followed through the clip) and drag a
        box over it. To mask everything for a while, pause where it starts, “Mask every frame from here”, then pause
        where it ends and choose “…until here”.
      </p>
      <div class="review-body">
        <div>
          <div class="replay-player" data-testid="review-player" data-rotation={rotation}>
            <div class="replay-frame" style={{ "--aspect": String(portrait ? height / width : width / height) }}>
              <video ref={replay.video} class={`rotate-${rotation}${portrait ? " portrait" : ""}`} muted playsInline
                onLoadedMetadata={(e) => setPicture({ width: e.currentTarget.videoWidth, height: e.currentTarget.videoHeight })} />
              <ReviewOverlay boxes={boxes} rotation={rotation} onDrawn={adding ? added : null} onTooSmall={() => setClicked(true)} />
            </div>
            {replay.message && <div class="player-message" data-testid="player-message">{replay.message}</div>}
          </div>
          <div class="playback-controls" data-testid="review-controls">
            <button type="button" aria-label="One frame back" title="One frame back" disabled={!paused} onClick={() => replay.step(-1)}>−1 frame</button>
            <button type="button" class="primary play" data-testid="play-pause" aria-label={replay.playing ? "Pause" : "Play"}
              onClick={() => { setAdding(null); replay.toggle(); }}>
              {replay.playing ? "❚❚ Pause" : "▶ Play"}
            </button>
            <button type="button" aria-label="One frame forward" title="One frame forward" disabled={!paused} onClick={() => replay.step(1)}>+1 frame</button>
            <button type="button" onClick={() => replay.seek(0)}>From the start</button>
            <button type="button" aria-pressed={adding === "box"} disabled={!paused} onClick={() => startAdding("box")}>Add a box here</button>
            <button type="button" aria-pressed={adding === "follow"} disabled={!paused || following}
              onClick={() => startAdding("follow")}>{following ? "Following…" : "Add a box that follows"}</button>
            <button type="button" aria-pressed={rangeFrom !== null} disabled={!paused} onClick={rangeEnds}>
              {rangeFrom === null ? "Mask every frame from here" : `…until here (from ${rangeFrom.toFixed(2)} s)`}
            </button>
            <span class="playhead-time" data-testid="review-time">
              {seconds === null ? "—" : `${Math.max(0, seconds).toFixed(2)} s of ${length.toFixed(0)} s`}
            </span>
          </div>
          {adding && !clicked && <p class="muted small">Drag a box over what should be masked on this frame; Play cancels.</p>}
          {adding && clicked && (
            <p class="small" role="status" data-testid="drag-hint">
              A click draws no box: press on one corner of what should be masked and drag to the opposite corner.
            </p>
          )}
          <ErrorNote error={followError} title="The box could not be followed." />
        </div>
        <div class="review-side">
          <h3>Tracks</h3>
          <ErrorNote error={error} title="The tracks could not be loaded." />
          {!tracks && !error && <Loading what="tracks" />}
          {tracks && <TrackList tracks={tracks} masked={masked} onMasked={setMasked} onShow={replay.seek} reasons={reasons}
            onReason={(id, reason) => setReasons(new Map(reasons).set(id, reason))} />}
          <ManualBoxList boxes={manual} onChange={setManual} onShow={(box) => replay.seek(box.t)} />
          <FollowedBoxList followed={followed} onChange={setFollowed} onShow={replay.seek} />
          <MaskedRangeList ranges={ranges} onChange={setRanges} onShow={replay.seek} />
          {unexplained.length > 0 && (
            <p class="note" data-testid="reasons-missing">Say why track {unexplained.join(", ")} stays visible before rendering.</p>
          )}
          <ErrorNote error={renderError} title="The export could not be rendered." />
          <div class="actions">
            <button type="button" class="primary" disabled={rendering || !tracks || unexplained.length > 0} onClick={render}>
              {rendering ? "Starting…" : "Render"}
            </button>
          </div>
        </div>
      </div>
    </section>
  );
}
