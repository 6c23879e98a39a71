/** Where a PTZ camera's masks fixed to the scene lie on the view it shows: the server's video/ptz_view.py
 * (`to_picture`) in the browser, with the camera's optics settings. */

import type { Camera, Point } from "../api/types";

export interface PtzView {
  pan: number;
  tilt: number;
  zoom: number;
}

/** Scene points ([pan, tilt] in degrees) as points of the view's picture (0-1 inside it, beyond it outside). */
export function onView(scene: Point[], view: PtzView, camera: Camera): Point[] {
  const { width, height } = camera.live_status;
  const aspect = width && height ? width / height : 16 / 9;
  const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));
  const across = camera.ptz_wide_angle / (1 + clamp(view.zoom, 0, 1) * (camera.ptz_zoom_ratio - 1));
  const down = across / aspect;
  const reachX = camera.ptz_digital ? (camera.ptz_wide_angle - across) / 2 : camera.ptz_pan_range / 2;
  const reachY = camera.ptz_digital ? (camera.ptz_wide_angle / aspect - down) / 2 : camera.ptz_tilt_range / 2;
  const pan = clamp(view.pan, -1, 1) * reachX;
  const tilt = clamp(view.tilt, -1, 1) * reachY;
  const turnsRound = !camera.ptz_digital && camera.ptz_pan_range >= 360;
  const wrapped = (degrees: number) => (turnsRound ? ((((degrees + 180) % 360) + 360) % 360) - 180 : degrees);
  return scene.map(([p, t]) => [0.5 + wrapped(p - pan) / across, 0.5 - (t - tilt) / down] as Point);
}
