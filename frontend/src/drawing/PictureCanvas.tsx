/**
 * A picture (the camera's, or a frame of a recording) with a drawing layer over it in the picture's pixels:
 * the shapes given as children, and a new one drawn with the chosen tool: an area point by point (closed by
 * clicking its first point, double-clicking or Enter), or a line A then B. Escape cancels a drawing.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Point } from "../api/types";
import { pointAt, pointsAttribute, screenDistance, toPixels, type Size } from "./pictureGeometry";

export type DrawingTool = "area" | "line";

interface PictureCanvasProps {
  /** The picture (a data: URL), or null for an empty frame of the same shape. */
  picture: string | null;
  /** What the picture shows, for screen readers. */
  alt: string;
  size: Size;
  tool: DrawingTool | null;
  onDrawn: (kind: DrawingTool, points: Point[]) => void;
  onCancel: () => void;
  /** A click on the picture beside every shape while not drawing. */
  onClickBeside?: () => void;
  /** The layer's test id: each page's shapes are told apart by it ("zone-layer", "mask-layer"). */
  layerId: string;
  /** The shapes, as SVG in the picture's pixels. */
  children?: ComponentChildren;
}

// A click this close (screen pixels) to the first point closes an area; one as close to the last point is the
// second click of a double-click, not a new point.
const CLOSE_PX = 10;
const SAME_PX = 4;

export function PictureCanvas({ picture, alt, size, tool, onDrawn, onCancel, onClickBeside, layerId, children }: PictureCanvasProps) {
  const layer = useRef<SVGSVGElement>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [pointer, setPointer] = useState<Point | null>(null);
  const latest = useRef({ points, tool, onDrawn, onCancel });
  latest.current = { points, tool, onDrawn, onCancel };

  useEffect(() => setPoints([]), [tool]);

  function finish(kind: DrawingTool, shape: Point[]) {
    setPoints([]);
    setPointer(null);
    onDrawn(kind, shape);
  }

  // Enter and Escape work wherever the focus is while drawing: the picture itself cannot take it.
  useEffect(() => {
    if (!tool) return undefined;
    const onKey = (event: KeyboardEvent) => {
      const { points: drawn, tool: kind } = latest.current;
      if (event.key === "Escape") {
        event.preventDefault();
        setPoints([]);
        latest.current.onCancel();
      } else if (event.key === "Enter" && kind === "area" && drawn.length >= 3) {
        event.preventDefault();
        setPoints([]);
        latest.current.onDrawn("area", drawn);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tool]);

  function onClick(event: MouseEvent) {
    if (!tool) {
      onClickBeside?.();
      return;
    }
    const box = layer.current!.getBoundingClientRect();
    const point = pointAt(event.clientX, event.clientY, box);
    const last = points[points.length - 1];
    if (last && screenDistance(point, last, box) < SAME_PX) return;
    if (tool === "line") {
      if (points.length === 1) finish("line", [points[0], point]);
      else setPoints([point]);
    } else if (points.length >= 3 && screenDistance(point, points[0], box) < CLOSE_PX) {
      finish("area", points);
    } else {
      setPoints([...points, point]);
    }
  }

  function onDoubleClick() {
    if (tool === "area" && points.length >= 3) finish("area", points);
  }

  const unit = Math.max(size.width, size.height) / 100;
  const trail = pointer && points.length ? [...points, pointer] : points;
  return (
    <div class="picture-canvas" style={{ "--aspect": String(size.width / size.height) }}>
      {picture
        ? <img src={picture} alt={alt} data-testid="camera-picture" />
        : <div class="picture-blank" />}
      <svg ref={layer} class={`picture-layer${tool ? " drawing" : ""}`} viewBox={`0 0 ${size.width} ${size.height}`}
        data-testid={layerId} data-tool={tool ?? "none"} data-points={points.length}
        onClick={onClick} onDblClick={onDoubleClick}
        onPointerMove={(event) => tool && setPointer(pointAt(event.clientX, event.clientY, layer.current!.getBoundingClientRect()))}
        onPointerLeave={() => setPointer(null)}>
        {children}
        {trail.length > 0 && (
          <g class="picture-drawing">
            <polyline points={pointsAttribute(trail, size)} />
            {points.map((point, index) => {
              const [x, y] = toPixels(point, size);
              const closes = tool === "area" && index === 0 && points.length >= 3;
              return <circle cx={x} cy={y} r={unit * (closes ? 1.4 : 0.8)} class={closes ? "closes" : ""} />;
            })}
          </g>
        )}
      </svg>
    </div>
  );
}
