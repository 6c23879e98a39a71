/**
 * The camera's own boxes over played-back footage: the frames of its analytics kept with the recording, and which
 * of them goes over the frame on screen (the latest at or before its wall-clock time, if at most half a second older).
 */

import type { OverlayBox, OverlayBoxes, SceneMetadata } from "../api/types";
import type { BoxSource } from "../live/OverlayCanvas";

/** A stored frame this much older (ms) than the frame on screen is not drawn: the camera reported nothing since. */
const STALE_MS = 500;

/** One frame of the camera's analytics, as kept with the recording. */
export interface StoredFrame {
  /** Wall-clock time of the recorded video frame, ms since the epoch. */
  at: number;
  boxes: OverlayBox[];
}

/** The frames of an answer, oldest first, their objects as the live overlay draws them ("person 3": class and track). */
export function framesOf(metadata: SceneMetadata): StoredFrame[] {
  return metadata.frames
    .map((frame) => ({
      at: Date.parse(frame.at),
      boxes: frame.objects.map(({ track, label, score, x, y, w, h }): OverlayBox => (
        { track, label, score, x, y, w, h, state: "tracked", text: `${label} ${track}` })),
    }))
    .sort((a, b) => a.at - b.at);
}

/** The latest frame at or before `wall` (ms), if at most STALE_MS older; `frames` oldest first. */
export function frameAt(frames: StoredFrame[], wall: number): StoredFrame | null {
  // The first frame after `wall`; the one before it is the latest at or before.
  let low = 0;
  let high = frames.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (frames[middle].at <= wall) low = middle + 1;
    else high = middle;
  }
  const frame = frames[low - 1];
  return frame && wall - frame.at <= STALE_MS ? frame : null;
}

/**
 * The box sets of stored frames for the overlay canvas. The canvas asks with the media time of the frame on screen;
 * `wallAt` turns it into wall-clock time the way the playhead is (each segment's EXT-X-PROGRAM-DATE-TIME).
 */
export class SceneReplay implements BoxSource {
  private readonly camera: number;
  private readonly frames: StoredFrame[];
  private readonly wallAt: (media: number) => number | null;
  /** The set last given, and the stored frame it is of. */
  private shown: { frame: StoredFrame; set: OverlayBoxes } | null = null;

  constructor(camera: number, frames: StoredFrame[], wallAt: (media: number) => number | null) {
    this.camera = camera;
    this.frames = frames;
    this.wallAt = wallAt;
  }

  at(mediaTime: number, tolerance: number): OverlayBoxes | null {
    const wall = this.wallAt(mediaTime);
    if (wall === null) return null;
    const frame = frameAt(this.frames, wall + tolerance * 1000);
    if (!frame) return null;
    // The media time of the stored frame in the loaded footage, as a live set's pts is.
    const pts = mediaTime - (wall - frame.at) / 1000;
    // The same set while the same stored frame stays on, so the canvas redraws only when something changes.
    if (this.shown?.frame === frame && Math.abs(this.shown.set.pts - pts) < 1e-3) return this.shown.set;
    const set = { camera: this.camera, pts, frame_at: frame.at / 1000, boxes: frame.boxes };
    this.shown = { frame, set };
    return set;
  }
}
