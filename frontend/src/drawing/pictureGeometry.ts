/**
 * Geometry of shapes drawn on a camera's picture: points are 0-1 of the picture (x right, y down); drawing
 * layers work in the picture's pixels so circles stay round and arrows square.
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
