/** The arrow across a line zone that shows which way is "A→B"; points are 0-1 of the picture, arrows in its pixels. */

import type { Point } from "../api/types";
import { toPixels, type Size } from "../drawing/pictureGeometry";

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
