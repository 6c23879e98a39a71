/**
 * The analytics boxes over a video (a live tile, or played-back footage), redrawn as each video frame is shown:
 * requestVideoFrameCallback gives the media time of the frame actually on screen. What is drawn is also written on
 * the canvas (data-overlay-*) and, live, logged in window.__vmsOverlayDrawn, so tests and benchmarks need not read
 * pixels.
 */

import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { OverlayBoxes, Rotation } from "../api/types";
import { drawBoxes, pictureToFrame } from "./overlayDrawing";

/** Which box set goes over the frame at a media time: live, the sets of the socket (BoxSchedule); played back, the
 * camera's own boxes kept with the recording. */
export interface BoxSource {
  /** The set for the frame at `mediaTime`, allowing `tolerance` seconds for rounding; null shows nothing. */
  at(mediaTime: number, tolerance: number): OverlayBoxes | null;
}

/** A box set drawn for the first time: when its frame reached the server, and when it was drawn (Unix seconds). */
export interface OverlayDrawn {
  camera: number;
  pts: number;
  frame_at: number;
  drawn_at: number;
  boxes: number;
}

declare global {
  interface Window {
    /** The latest box sets drawn, oldest first, for the overlay latency benchmark. */
    __vmsOverlayDrawn?: OverlayDrawn[];
  }
}

const DRAWN_LOG_SIZE = 1000;
/** The time between frames until two frames in a row have been seen (25 fps). */
const FRAME_INTERVAL = 0.04;

function logDrawn(camera: number, set: OverlayBoxes): void {
  const log = (window.__vmsOverlayDrawn ??= []);
  log.push({ camera, pts: set.pts, frame_at: set.frame_at, drawn_at: Date.now() / 1000, boxes: set.boxes.length });
  if (log.length > DRAWN_LOG_SIZE) log.splice(0, log.length - DRAWN_LOG_SIZE);
}

/** Draw, for each frame the video shows, the box set that belongs to it; returns how to stop. */
function followFrames(camera: number, video: HTMLVideoElement, canvas: HTMLCanvasElement, schedule: BoxSource,
  rotation: Rotation, logged: boolean) {
  const context = canvas.getContext("2d")!;
  let shown: OverlayBoxes | null = null;
  let layout = "";
  let interval = FRAME_INTERVAL;

  function show(set: OverlayBoxes | null): void {
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * scale);
    const height = Math.round(canvas.clientHeight * scale);
    const drawable = set && width && height && video.videoWidth && video.videoHeight ? set : null;
    const size = `${width}x${height}/${video.videoWidth}x${video.videoHeight}`;
    if (drawable === shown && size === layout) return;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const boxes = drawable?.boxes ?? [];
    if (drawable) drawBoxes(context, boxes, pictureToFrame(rotation, width, height, video.videoWidth, video.videoHeight), scale);
    else context.clearRect(0, 0, width, height);
    canvas.dataset.overlayBoxes = String(boxes.length);
    canvas.dataset.overlayStates = [...new Set(boxes.map((box) => box.state))].join(",");
    canvas.dataset.overlayLabels = [...new Set(boxes.map((box) => box.label))].join(",");
    canvas.dataset.overlayPts = drawable ? String(drawable.pts) : "";
    canvas.dataset.overlayFrameAt = drawable ? String(drawable.frame_at) : "";
    canvas.dataset.overlayRects = JSON.stringify(boxes.map(({ track, x, y, w, h }) => ({ track, x, y, w, h })));
    if (logged && drawable && drawable !== shown) logDrawn(camera, drawable);
    shown = drawable;
    layout = size;
  }

  // The player emptied the video (camera offline, stream restarting): no picture, so no boxes either.
  const clear = () => show(null);
  video.addEventListener("emptied", clear);
  // Paused, no frame is presented until the next seek or play: the frame already on screen gets its boxes now.
  show(schedule.at(video.currentTime, interval / 2));

  let handle = 0;
  let previous: VideoFrameCallbackMetadata | null = null;
  const onFrame = (_now: number, frame: VideoFrameCallbackMetadata) => {
    if (previous && frame.presentedFrames === previous.presentedFrames + 1) {
      const step = frame.mediaTime - previous.mediaTime;
      if (step > 0 && step < 1) interval = step;
    }
    previous = frame;
    show(schedule.at(frame.mediaTime, interval / 2));
    handle = video.requestVideoFrameCallback(onFrame);
  };
  // Browsers without frame callbacks (Firefox before 132) follow the playhead once per screen refresh.
  const onRefresh = () => {
    show(schedule.at(video.currentTime, interval / 2));
    handle = requestAnimationFrame(onRefresh);
  };
  const frameCallbacks = "requestVideoFrameCallback" in video;
  handle = frameCallbacks ? video.requestVideoFrameCallback(onFrame) : requestAnimationFrame(onRefresh);
  // Stepped or sought while paused: a browser busy painting calls back late, or not at all, for the frame sought.
  const onSeeked = () => {
    if (video.paused) show(schedule.at(video.currentTime, interval / 2));
  };
  video.addEventListener("seeked", onSeeked);
  return () => {
    if (frameCallbacks) video.cancelVideoFrameCallback(handle);
    else cancelAnimationFrame(handle);
    video.removeEventListener("emptied", clear);
    video.removeEventListener("seeked", onSeeked);
  };
}

interface OverlayCanvasProps {
  camera: number;
  video: RefObject<HTMLVideoElement | null>;
  schedule: BoxSource;
  rotation: Rotation;
  /** Log each set drawn in window.__vmsOverlayDrawn, for the live latency benchmark. */
  logged?: boolean;
}

export function OverlayCanvas({ camera, video, schedule, rotation, logged = true }: OverlayCanvasProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => followFrames(camera, video.current!, canvas.current!, schedule, rotation, logged),
    [camera, schedule, rotation, logged]);
  return <canvas ref={canvas} class="overlay" aria-hidden="true" data-testid="overlay" />;
}
