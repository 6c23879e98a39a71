/**
 * Which boxes go over the frame shown while an export is reviewed: each track's box nearest in time (within half
 * a second, as in event replay), marked as masked or kept visible, and the boxes drawn by hand whose span holds it.
 */

import type { ExportTrack, ManualBox } from "../api/types";
import { boxAt, type TimedBox } from "../events/replayBoxes";
import { TRACK_WORDS } from "./exportWords";

export interface TrackTimeline {
  track: ExportTrack;
  /** Its boxes sorted, timed in ms from the export's start. */
  boxes: TimedBox[];
}

export interface ReviewBox {
  x: number;
  y: number;
  w: number;
  h: number;
  kind: "masked" | "kept" | "manual";
  label: string;
}

export function timelinesOf(tracks: ExportTrack[]): TrackTimeline[] {
  return tracks.map((track) => ({
    track,
    boxes: track.boxes.map(({ t, x, y, w, h }) => ({ at: t * 1000, x, y, w, h })).sort((a, b) => a.at - b.at),
  }));
}

export function boxesAt(timelines: TrackTimeline[], masked: ReadonlySet<number>, manual: ManualBox[], seconds: number): ReviewBox[] {
  const found: ReviewBox[] = [];
  for (const { track, boxes } of timelines) {
    const box = boxAt(boxes, seconds * 1000);
    if (!box) continue;
    const { x, y, w, h } = box;
    found.push({ x, y, w, h, kind: masked.has(track.id) ? "masked" : "kept", label: `${TRACK_WORDS[track.kind] ?? track.kind} ${track.id}` });
  }
  manual.forEach(({ t, until, x, y, w, h }, index) => {
    if (seconds >= t && seconds <= until) found.push({ x, y, w, h, kind: "manual", label: `Box ${index + 1}` });
  });
  return found;
}
