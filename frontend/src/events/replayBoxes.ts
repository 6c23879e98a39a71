/**
 * Which box of an event's track goes over the frame on screen (the nearest in time, if within half a second),
 * and where it lands on the picture as shown, turned as the camera is mounted.
 */

import type { EventBox, Rotation } from "../api/types";

/** Farther than this from every box, the frame shows none: the object was not tracked then. */
const NEAR_MS = 500;

export interface TimedBox {
  /** Wall-clock time of the analysed frame, ms since the epoch. */
  at: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export function timedBoxes(boxes: EventBox[]): TimedBox[] {
  return boxes.map(({ t, x, y, w, h }) => ({ at: Date.parse(t), x, y, w, h })).sort((a, b) => a.at - b.at);
}

/** The box nearest to `wall` within NEAR_MS, or null; `boxes` sorted by time. */
export function boxAt(boxes: TimedBox[], wall: number): TimedBox | null {
  // The first box at or after `wall`; the nearest is it or the one before.
  let low = 0;
  let high = boxes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (boxes[middle].at < wall) low = middle + 1;
    else high = middle;
  }
  const candidates = [boxes[low - 1], boxes[low]].filter((box): box is TimedBox => box !== undefined);
  const nearest = candidates.sort((a, b) => Math.abs(a.at - wall) - Math.abs(b.at - wall))[0];
  return nearest && Math.abs(nearest.at - wall) <= NEAR_MS ? nearest : null;
}

/** A box of the picture as recorded, moved onto the picture turned clockwise by `rotation`. */
export function rotatedBox<Box extends { x: number; y: number; w: number; h: number }>(box: Box, rotation: Rotation): Box {
  const { x, y, w, h } = box;
  switch (rotation) {
    case 90:
      return { ...box, x: 1 - y - h, y: x, w: h, h: w };
    case 180:
      return { ...box, x: 1 - x - w, y: 1 - y - h };
    case 270:
      return { ...box, x: y, y: 1 - x - w, w: h, h: w };
    default:
      return box;
  }
}
