/** Follow a playing video ten times a second: the wall-clock moment it shows, and whether it plays. */

import { useEffect, useRef, useState } from "preact/hooks";
import type { RecordingPlayback } from "./recordingPlayback";

export function usePlayhead(
  video: { current: HTMLVideoElement | null },
  playback: { current: RecordingPlayback | null },
  /** Called with each moment while the video plays (the timeline scrolls along). */
  onPlaying: (moment: number) => void,
): { playhead: number | null; playing: boolean } {
  const [playhead, setPlayhead] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const callback = useRef(onPlaying);
  callback.current = onPlaying;

  useEffect(() => {
    let frame = 0;
    let last = 0;
    const tick = (now: number) => {
      frame = requestAnimationFrame(tick);
      if (now - last < 100 || !video.current) return;
      last = now;
      const element = video.current;
      const moment = playback.current?.now() ?? null;
      const running = !element.paused && !element.ended;
      setPlayhead(moment);
      setPlaying(running);
      if (moment !== null && running) callback.current(moment);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, []);

  return { playhead, playing };
}
