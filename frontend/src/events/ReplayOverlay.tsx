/** The tracked object's box over the replayed video, for the frame on screen. */

import type { TimedBox } from "./replayBoxes";

interface ReplayOverlayProps {
  /** The box on the picture as shown (already turned with the camera), or null when the frame has none. */
  box: TimedBox | null;
  label: string;
  /** Wall-clock time of the frame on screen, ms; null before the first frame. */
  frameAt: number | null;
}

export function ReplayOverlay({ box, label, frameAt }: ReplayOverlayProps) {
  return (
    <div class="replay-overlay" data-testid="replay-overlay" data-replay-box={box ? "shown" : "none"}
      data-frame-at={frameAt === null ? undefined : new Date(frameAt).toISOString()}>
      {box && (
        <>
          <svg viewBox="0 0 1 1" preserveAspectRatio="none">
            <rect x={box.x} y={box.y} width={box.w} height={box.h} />
          </svg>
          {label && <span class="replay-label" style={{ left: `${box.x * 100}%`, top: `${box.y * 100}%` }}>{label}</span>}
        </>
      )}
    </div>
  );
}
