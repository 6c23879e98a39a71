/**
 * Geometry on a site plan. Positions are fractions of the plan's picture (0-1, x right, y down), as the API keeps
 * them; drawing works in the picture's pixels, where a metre is as long across as down (the plan's width in metres
 * gives the scale). Directions are compass degrees clockwise from the plan's up.
 */

import type { Point, SitePlan } from "../api/types";

/** Pixels of the plan's picture per metre. */
export function pixelsPerMetre(plan: SitePlan): number {
  return plan.image_width / plan.width_m;
}

/** The point `distance` pixels from `[x, y]` in the compass direction `degrees`. */
export function toward([x, y]: Point, degrees: number, distance: number): Point {
  const radians = (degrees * Math.PI) / 180;
  return [x + distance * Math.sin(radians), y - distance * Math.cos(radians)];
}

/** The compass direction (degrees, 0-360) from `a` to `b`, in pixels. */
export function bearing(a: Point, b: Point): number {
  const degrees = (Math.atan2(b[0] - a[0], a[1] - b[1]) * 180) / Math.PI;
  return (degrees + 360) % 360;
}

/**
 * What a device covers, as an SVG path in pixels: a wedge from `centre` `radius` pixels long, `fov` degrees wide,
 * around `heading`; a whole circle from 360 degrees.
 */
export function wedgePath(centre: Point, heading: number, fov: number, radius: number): string {
  const [cx, cy] = centre;
  if (fov >= 359.9) {
    return `M ${cx - radius} ${cy} a ${radius} ${radius} 0 1 0 ${2 * radius} 0 a ${radius} ${radius} 0 1 0 ${-2 * radius} 0 Z`;
  }
  const [x1, y1] = toward(centre, heading - fov / 2, radius);
  const [x2, y2] = toward(centre, heading + fov / 2, radius);
  // Clockwise on screen (y down) is SVG's positive sweep.
  return `M ${cx} ${cy} L ${x1} ${y1} A ${radius} ${radius} 0 ${fov > 180 ? 1 : 0} 1 ${x2} ${y2} Z`;
}

/** A number of degrees kept within 0-360, rounded to a tenth. */
export function roundDegrees(degrees: number): number {
  return Math.round((((degrees % 360) + 360) % 360) * 10) / 10;
}
