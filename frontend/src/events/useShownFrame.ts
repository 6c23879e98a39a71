/** The wall-clock time of the frame the video shows, updated with every frame painted (also when paused and stepped). */

import { useEffect, useState } from "preact/hooks";
import type { RecordingPlayback } from "../recordings/recordingPlayback";

export function useShownFrame(
  video: { current: HTMLVideoElement | null },
  playback: { current: RecordingPlayback | null },
): number | null {
  const [wall, setWall] = useState<number | null>(null);

  useEffect(() => {
    const element = video.current!;
    // A frame callback tells the media time of the very frame painted; currentTime runs ahead of it while playing.
    if ("requestVideoFrameCallback" in element) {
      let handle = 0;
      const onFrame = (_now: number, frame: VideoFrameCallbackMetadata) => {
        setWall(playback.current?.wallAt(frame.mediaTime) ?? null);
        handle = element.requestVideoFrameCallback(onFrame);
      };
      // Paused, the frame shown is the one sought; a browser that paints it late (a busy one) calls back late.
      const onSeeked = () => {
        if (element.paused) setWall(playback.current?.wallAt(element.currentTime) ?? null);
      };
      handle = element.requestVideoFrameCallback(onFrame);
      element.addEventListener("seeked", onSeeked);
      return () => {
        element.cancelVideoFrameCallback(handle);
        element.removeEventListener("seeked", onSeeked);
      };
    }
    let frame = 0;
    const tick = () => {
      setWall(playback.current?.now() ?? null);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, []);

  return wall;
}
