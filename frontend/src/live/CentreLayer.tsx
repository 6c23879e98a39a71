/** Click to centre and drag a box to zoom, over a PTZ camera's live picture: a click sends where it fell, a box its
 * middle and size, both as fractions of the picture the camera sends (the rotation and the black bars of the
 * letterboxed video undone), never of the element's box. */

import type { RefObject } from "preact";
import { useRef, useState } from "preact/hooks";
import type { PtzCentre, Rotation } from "../api/types";
import { frameToPicture } from "./overlayDrawing";

/** A pointer that moved less than this (CSS pixels) clicked; more, it drew a box. */
const CLICK_SLOP = 6;

interface CentreLayerProps {
  video: RefObject<HTMLVideoElement | null>;
  rotation: Rotation;
  onCentre: (target: PtzCentre) => void;
}

interface Drag {
  pointer: number;
  x: number;
  y: number;
  toX: number;
  toY: number;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
const clamp = (value: number) => Math.min(1, Math.max(0, value));

export function CentreLayer({ video, rotation, onCentre }: CentreLayerProps) {
  const layer = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);

  /** From the layer's pixels to the picture's fractions. The layer covers the frame, which has the picture's shape;
   * without a decoded frame yet the frame is taken to be the picture. */
  function toPicture(box: DOMRect) {
    const element = video.current;
    const quarter = rotation === 90 || rotation === 270;
    const videoWidth = element?.videoWidth || (quarter ? box.height : box.width);
    const videoHeight = element?.videoHeight || (quarter ? box.width : box.height);
    return frameToPicture(rotation, box.width, box.height, videoWidth, videoHeight);
  }

  function offset(event: PointerEvent): [number, number] {
    const box = layer.current!.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  function down(event: PointerEvent) {
    if (event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation();
    layer.current!.setPointerCapture(event.pointerId);
    const [x, y] = offset(event);
    setDrag({ pointer: event.pointerId, x, y, toX: x, toY: y });
  }

  function move(event: PointerEvent) {
    if (!drag || event.pointerId !== drag.pointer) return;
    const [toX, toY] = offset(event);
    setDrag({ ...drag, toX, toY });
  }

  function up(event: PointerEvent) {
    if (!drag || event.pointerId !== drag.pointer) return;
    event.stopPropagation();
    setDrag(null);
    const [toX, toY] = offset(event);
    const picture = toPicture(layer.current!.getBoundingClientRect());
    if (Math.hypot(toX - drag.x, toY - drag.y) < CLICK_SLOP) {
      const [x, y] = picture(drag.x, drag.y);
      if (x < 0 || x > 1 || y < 0 || y > 1) return; // on a black bar: not the picture
      onCentre({ x: round(x), y: round(y) });
      return;
    }
    const [x1, y1] = picture(drag.x, drag.y).map(clamp);
    const [x2, y2] = picture(toX, toY).map(clamp);
    const width = Math.abs(x2 - x1);
    const height = Math.abs(y2 - y1);
    if (width <= 0 || height <= 0) return; // drawn wholly on a black bar
    onCentre({ x: round((x1 + x2) / 2), y: round((y1 + y2) / 2), width: round(width), height: round(height) });
  }

  const box = drag && {
    left: `${Math.min(drag.x, drag.toX)}px`, top: `${Math.min(drag.y, drag.toY)}px`,
    width: `${Math.abs(drag.toX - drag.x)}px`, height: `${Math.abs(drag.toY - drag.y)}px`,
  };
  return (
    <div ref={layer} class="centre-layer" data-testid="centre-layer"
      title="Click to centre that point; drag a box to zoom into it"
      onPointerDown={down} onPointerMove={move} onPointerUp={up} onPointerCancel={() => setDrag(null)}
      onClick={(event) => event.stopPropagation()}>
      {box && <div class="centre-box" style={box} />}
    </div>
  );
}
