/**
 * Plays one span of a camera's recordings, from its start, through the recordings page's playback, and follows
 * the frame on screen: its time in seconds from the span's start, which is how an export's boxes are timed.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { useShownFrame } from "../events/useShownFrame";
import { RecordingPlayback, type PlaybackProblem } from "../recordings/recordingPlayback";
import { usePlayhead } from "../recordings/usePlayhead";

export interface SpanReplay {
  video: { current: HTMLVideoElement | null };
  playing: boolean;
  /** Seconds from the span's start of the frame on screen; null before the first frame. */
  seconds: number | null;
  /** What to say over the picture; empty while it plays. */
  message: string;
  toggle: () => void;
  /** Pause and step this many frames. */
  step: (frames: number) => void;
  /** Play from this many seconds after the span's start. */
  seek: (seconds: number) => void;
}

export function useSpanReplay(camera: number, start: number, end: number, fps: number): SpanReplay {
  const video = useRef<HTMLVideoElement>(null);
  const playback = useRef<RecordingPlayback | null>(null);
  const [problem, setProblem] = useState<PlaybackProblem>(null);
  const [loading, setLoading] = useState(false);
  const { playhead, playing } = usePlayhead(video, playback, () => undefined);
  const shown = useShownFrame(video, playback);

  const seek = (seconds: number) => playback.current?.playFrom(camera, start + seconds * 1000, new Date(start), new Date(end));

  useEffect(() => {
    playback.current = new RecordingPlayback(video.current!, { onProblem: setProblem, onLoading: setLoading });
    seek(0);
    return () => playback.current?.destroy();
  }, [camera, start, end]);

  function toggle() {
    const element = video.current!;
    if (playhead === null) seek(0);
    else if (element.paused || element.ended) element.play().catch(() => undefined);
    else element.pause();
  }

  function step(frames: number) {
    const element = video.current!;
    element.pause();
    element.currentTime = Math.max(0, element.currentTime + frames / fps);
  }

  let message = "";
  if (problem) message = problem.message;
  else if (loading) message = "Loading video…";
  return { video, playing, seconds: shown === null ? null : (shown - start) / 1000, message, toggle, step, seek };
}
