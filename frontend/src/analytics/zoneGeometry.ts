/**
 * Geometry of zones drawn on the camera's picture: points are 0-1 of the picture (x right, y down); the
 * drawing layer works in the picture's pixels so circles stay round and arrows square.
 */

import type { Point } from "../api/types";

export interface Size {
  width: number;
  height: number;
}

export function toPixels([x, y]: Point, size: Size): Point {
  return [x * size.width, y * size.height];
}

/** "x,y x,y ..." for an SVG polygon or polyline. */
export function pointsAttribute(points: Point[], size: Size): string {
  return points.map((point) => toPixels(point, size).join(",")).join(" ");
}

/** Where a pointer is on the picture, 0-1, kept inside it; four decimals are finer than any camera's pixels. */
export function pointAt(clientX: number, clientY: number, box: DOMRect): Point {
  const clamp = (value: number) => Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
  return [clamp((clientX - box.left) / box.width), clamp((clientY - box.top) / box.height)];
}

/** Distance in screen pixels between two points of a picture shown in `box`. */
export function screenDistance(a: Point, b: Point, box: Size): number {
  return Math.hypot((a[0] - b[0]) * box.width, (a[1] - b[1]) * box.height);
}

/** The middle of a shape, where its name goes. */
export function centreOf(points: Point[]): Point {
  const sum = points.reduce(([x, y], [px, py]) => [x + px, y + py], [0, 0]);
  return [sum[0] / points.length, sum[1] / points.length];
}

export interface Arrow {
  tail: Point;
  head: Point;
  /** The two back corners of the arrowhead. */
  wings: [Point, Point];
  /** Unit vector across the line toward its right-hand side, in pixels. */
  normal: Point;
}

/**
 * The arrow across the middle of line A→B that shows an "a_to_b" crossing: from the left of A→B to its right,
 * as seen walking from A to B on the picture. With y down, (-dy, dx) points to that right-hand side.
 */
export function crossingArrow(a: Point, b: Point, size: Size, length: number): Arrow {
  const [ax, ay] = toPixels(a, size);
  const [bx, by] = toPixels(b, size);
  const along = Math.hypot(bx - ax, by - ay) || 1;
  const [ux, uy] = [(bx - ax) / along, (by - ay) / along];
  const [nx, ny] = [-uy, ux];
  const [mx, my] = [(ax + bx) / 2, (ay + by) / 2];
  const head: Point = [mx + (nx * length) / 2, my + (ny * length) / 2];
  const wing = length / 3;
  return {
    tail: [mx - (nx * length) / 2, my - (ny * length) / 2],
    head,
    wings: [
      [head[0] - nx * wing + ux * wing * 0.6, head[1] - ny * wing + uy * wing * 0.6],
      [head[0] - nx * wing - ux * wing * 0.6, head[1] - ny * wing - uy * wing * 0.6],
    ],
    normal: [nx, ny],
  };
}
