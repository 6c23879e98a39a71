/** Play/pause, speed, single frames, jumps between recordings, and the time being shown. */

import type { ComponentChildren } from "preact";
import { clock } from "../components/format";

export const SPEEDS = [0.5, 1, 2, 4, 8];

interface PlaybackControlsProps {
  playing: boolean;
  rate: number;
  playhead: number | null;
  canStep: boolean;
  hasPrevious: boolean;
  hasNext: boolean;
  onToggle: () => void;
  onRate: (rate: number) => void;
  onStep: (frames: number) => void;
  onPrevious: () => void;
  onNext: () => void;
  /** More controls of what is shown, after the speed (the camera's boxes). */
  children?: ComponentChildren;
}

export function PlaybackControls(props: PlaybackControlsProps) {
  const { playing, rate, playhead, canStep, hasPrevious, hasNext } = props;
  return (
    <div class="playback-controls" data-testid="playback-controls">
      <button type="button" title="Previous recording" aria-label="Previous recording" disabled={!hasPrevious} onClick={props.onPrevious}>|◀</button>
      <button type="button" title="One frame back" aria-label="One frame back" disabled={!canStep} onClick={() => props.onStep(-1)}>−1 frame</button>
      <button type="button" class="primary play" data-testid="play-pause" aria-label={playing ? "Pause" : "Play"} onClick={props.onToggle}>
        {playing ? "❚❚ Pause" : "▶ Play"}
      </button>
      <button type="button" title="One frame forward" aria-label="One frame forward" disabled={!canStep} onClick={() => props.onStep(1)}>+1 frame</button>
      <button type="button" title="Next recording" aria-label="Next recording" disabled={!hasNext} onClick={props.onNext}>▶|</button>
      <label class="speed">
        Speed
        <select value={String(rate)} onChange={(e) => props.onRate(Number(e.currentTarget.value))} aria-label="Playback speed">
          {SPEEDS.map((speed) => <option value={String(speed)}>{speed}×</option>)}
        </select>
      </label>
      {props.children}
      <span class="playhead-time" data-testid="playhead-time">
        {playhead === null ? "—" : `${new Date(playhead).toLocaleDateString()} ${clock(new Date(playhead))}`}
      </span>
    </div>
  );
}
