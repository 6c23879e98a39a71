/**
 * Which boxes go over the frame shown while an export is reviewed: each track's box nearest in time (within half
 * a second, as in event replay), marked as masked or kept visible, the boxes drawn by hand whose span holds it, the
 * followed boxes near it, and the whole picture inside a span masked whole.
 */

import type { ExportTrack, FollowedBox, ManualBox, MaskedRange } from "../api/types";
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

export interface ReviewMasks {
  manual: ManualBox[];
  followed: FollowedBox[];
  ranges: MaskedRange[];
}

export function boxesAt(timelines: TrackTimeline[], masked: ReadonlySet<number>, { manual, followed, ranges }: ReviewMasks,
  seconds: number): ReviewBox[] {
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
  followed.forEach((each, index) => {
    const box = boxAt(each.boxes.map(({ t, x, y, w, h }) => ({ at: t * 1000, x, y, w, h })), seconds * 1000);
    if (box) found.push({ x: box.x, y: box.y, w: box.w, h: box.h, kind: "manual", label: `Followed box ${index + 1}` });
  });
  ranges.forEach(({ start, end }, index) => {
    if (seconds >= start && seconds < end) found.push({ x: 0, y: 0, w: 1, h: 1, kind: "manual", label: `Masked span ${index + 1}` });
  });
  return found;
}
