/**
 * Analytics boxes drawn on a canvas over a live tile. The canvas is not rotated with the video, so the tags
 * stay upright: each box is carried from the picture as recorded (0-1) to where the rotated, letterboxed
 * picture shows on screen.
 */

import type { OverlayBox, OverlayBoxState, Rotation } from "../api/types";

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const STATE_COLOURS: Record<OverlayBoxState, string> = {
  tracked: "#67e8f9",
  dwelling: "#facc15",
  alarm: "#ef4444",
};

/** cos and sin of each rotation. */
const TURNS: Record<Rotation, [number, number]> = { 0: [1, 0], 90: [0, 1], 180: [-1, 0], 270: [0, -1] };

/**
 * Where boxes on the picture land in a frame of `width` x `height` pixels. The video element is the frame
 * (or, turned a quarter, the frame's height by width) rotated about its centre, and shows the picture
 * letterboxed within it (object-fit: contain); this does the same.
 */
export function pictureToFrame(rotation: Rotation, width: number, height: number, videoWidth: number, videoHeight: number) {
  const quarter = rotation === 90 || rotation === 270;
  const elementWidth = quarter ? height : width;
  const elementHeight = quarter ? width : height;
  const scale = Math.min(elementWidth / videoWidth, elementHeight / videoHeight);
  const pictureWidth = videoWidth * scale;
  const pictureHeight = videoHeight * scale;
  const [cos, sin] = TURNS[rotation];
  const point = (u: number, v: number): [number, number] => {
    const dx = (u - 0.5) * pictureWidth;
    const dy = (v - 0.5) * pictureHeight;
    // CSS rotate() turns clockwise on screen (y down).
    return [width / 2 + dx * cos - dy * sin, height / 2 + dx * sin + dy * cos];
  };
  return (box: Rect): Rect => {
    const [x1, y1] = point(box.x, box.y);
    const [x2, y2] = point(box.x + box.w, box.y + box.h);
    return { x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) };
  };
}

/**
 * The other way: where a point of a frame of `width` x `height` pixels is on the picture as recorded (0-1, x right,
 * y down), undoing the rotation and the letterboxing as pictureToFrame does them; below 0 or above 1 outside the
 * picture (on the black bars).
 */
export function frameToPicture(rotation: Rotation, width: number, height: number, videoWidth: number, videoHeight: number) {
  const quarter = rotation === 90 || rotation === 270;
  const scale = Math.min((quarter ? height : width) / videoWidth, (quarter ? width : height) / videoHeight);
  const pictureWidth = videoWidth * scale;
  const pictureHeight = videoHeight * scale;
  const [cos, sin] = TURNS[rotation];
  return (x: number, y: number): [number, number] => {
    const fx = x - width / 2;
    const fy = y - height / 2;
    return [(fx * cos + fy * sin) / pictureWidth + 0.5, (-fx * sin + fy * cos) / pictureHeight + 0.5];
  };
}

/** Each box outlined in its state's colour with its tag ("person 4s") on top; `scale` is device pixels per CSS pixel. */
export function drawBoxes(context: CanvasRenderingContext2D, boxes: OverlayBox[], place: (box: Rect) => Rect, scale: number): void {
  const { width, height } = context.canvas;
  context.clearRect(0, 0, width, height);
  // Tags readable on a 4x4 wall and not shouting on one big camera.
  const fontSize = Math.round(Math.min(14, Math.max(10, height / scale / 28)) * scale);
  context.font = `600 ${fontSize}px system-ui, sans-serif`;
  context.textBaseline = "top";
  context.lineWidth = 2 * scale;
  const padding = Math.round(3 * scale);
  for (const box of boxes) {
    const colour = STATE_COLOURS[box.state] ?? STATE_COLOURS.tracked;
    const rect = place(box);
    context.strokeStyle = colour;
    context.strokeRect(rect.x, rect.y, rect.w, rect.h);
    const text = box.text || box.label;
    if (!text) continue;
    const tagWidth = context.measureText(text).width + 2 * padding;
    const tagHeight = fontSize + 2 * padding;
    const tagX = Math.max(0, Math.min(rect.x - context.lineWidth / 2, width - tagWidth));
    // Above the box, or inside its top edge when the box touches the top of the picture.
    const tagY = rect.y - tagHeight >= 0 ? rect.y - tagHeight : rect.y;
    context.fillStyle = colour;
    context.fillRect(tagX, tagY, tagWidth, tagHeight);
    context.fillStyle = box.state === "alarm" ? "#fff" : "#000";
    context.fillText(text, tagX + padding, tagY + padding);
  }
}
