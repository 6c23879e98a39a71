/** The frame a video element shows, as a picture to draw on: recorded footage is same-origin, so the canvas may read it. */

import type { Size } from "../drawing/pictureGeometry";

export interface VideoFrame {
  /** A JPEG data: URL, or null when the video shows nothing yet. */
  picture: string | null;
  size: Size;
}

/** The frame on screen, as recorded (before the CSS rotation); `fallback` gives the shape when there is none. */
export function frameOf(video: HTMLVideoElement, fallback: Size): VideoFrame {
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth) return { picture: null, size: fallback };
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d")!.drawImage(video, 0, 0);
  return { picture: canvas.toDataURL("image/jpeg", 0.85), size: { width: video.videoWidth, height: video.videoHeight } };
}
