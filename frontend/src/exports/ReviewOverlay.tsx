/**
 * The boxes of the frame on screen over the reviewed video: red for what will be masked, green for what stays
 * visible, dashed for boxes drawn by hand. While adding a box the investigator drags a rectangle on the frame.
 * Boxes live on the picture as recorded; the overlay turns them with the camera, and a drawn one back.
 */

import { useRef, useState } from "preact/hooks";
import type { Point, Rotation } from "../api/types";
import { pointAt } from "../drawing/pictureGeometry";
import { rotatedBox } from "../events/replayBoxes";
import type { ReviewBox } from "./reviewBoxes";

export interface DrawnBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface ReviewOverlayProps {
  boxes: ReviewBox[];
  rotation: Rotation;
  /** Set while adding a box: called with the rectangle dragged, on the picture as recorded. */
  onDrawn: ((box: DrawnBox) => void) | null;
  /** Called, while adding a box, for a click or a drag too short to make one. */
  onTooSmall?: () => void;
}

/** A drag shorter than this (0-1 of the frame) is a click, not a box. */
const SMALLEST = 0.005;

function between(a: Point, b: Point): DrawnBox {
  return { x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), w: Math.abs(a[0] - b[0]), h: Math.abs(a[1] - b[1]) };
}

/** Four decimals, as drawn points have: finer than any camera's pixels. */
function rounded({ x, y, w, h }: DrawnBox): DrawnBox {
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  return { x: round(x), y: round(y), w: round(w), h: round(h) };
}

export function ReviewOverlay({ boxes, rotation, onDrawn, onTooSmall }: ReviewOverlayProps) {
  const layer = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ from: Point; to: Point } | null>(null);
  const at = (event: PointerEvent) => pointAt(event.clientX, event.clientY, layer.current!.getBoundingClientRect());

  function down(event: PointerEvent) {
    if (!onDrawn || event.button !== 0) return;
    layer.current!.setPointerCapture(event.pointerId);
    const point = at(event);
    setDrag({ from: point, to: point });
  }

  function up(event: PointerEvent) {
    if (!drag || !onDrawn) return;
    const shown = between(drag.from, at(event));
    setDrag(null);
    if (shown.w < SMALLEST || shown.h < SMALLEST) {
      onTooSmall?.();
      return;
    }
    // Turning back by the rest of a full turn puts the box on the picture as recorded.
    onDrawn(rounded(rotatedBox(shown, ((360 - rotation) % 360) as Rotation)));
  }

  const shownBoxes = boxes.map((box) => rotatedBox(box, rotation));
  const dragged = drag && between(drag.from, drag.to);
  return (
    <div ref={layer} class={`review-overlay${onDrawn ? " adding" : ""}`} data-testid="review-overlay" data-boxes={boxes.length}
      onPointerDown={down} onPointerMove={(event) => drag && setDrag({ ...drag, to: at(event) })} onPointerUp={up}
      onPointerCancel={() => setDrag(null)}>
      <svg viewBox="0 0 1 1" preserveAspectRatio="none">
        {shownBoxes.map((box) => <rect class={`review-box review-${box.kind}`} x={box.x} y={box.y} width={box.w} height={box.h} />)}
        {dragged && <rect class="review-box review-drag" x={dragged.x} y={dragged.y} width={dragged.w} height={dragged.h} />}
      </svg>
      {shownBoxes.map((box) => (
        <span class={`review-label review-${box.kind}`} style={{ left: `${box.x * 100}%`, top: `${box.y * 100}%` }}>{box.label}</span>
      ))}
    </div>
  );
}
