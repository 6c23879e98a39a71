/**
 * The camera's picture with its zones drawn over it. The admin picks a zone by clicking it, or draws a new one:
 * an area point by point (closed by clicking the first point, double-clicking or Enter), or a line A then B.
 * Escape cancels a drawing.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import type { Point, ZoneKind } from "../api/types";
import { centreOf, crossingArrow, pointAt, pointsAttribute, screenDistance, toPixels, type Size } from "./zoneGeometry";

/** What the layer draws of a zone; a shape not saved yet has no id. */
export interface Shape {
  id?: number;
  name: string;
  kind: ZoneKind;
  points: Point[];
  color: string;
}

interface ZoneCanvasProps {
  /** The camera's picture (a data: URL), or null when none could be taken. */
  picture: string | null;
  size: Size;
  zones: Shape[];
  selected: number | null;
  /** A drawn shape waiting to be named and saved. */
  sketch: Shape | null;
  tool: ZoneKind | null;
  onSelect: (id: number | null) => void;
  onDrawn: (kind: ZoneKind, points: Point[]) => void;
  onCancel: () => void;
}

// A click this close (screen pixels) to the first point closes an area; one as close to the last point is the
// second click of a double-click, not a new point.
const CLOSE_PX = 10;
const SAME_PX = 4;

function ShapeView({ shape, size, selected, onSelect }: { shape: Shape; size: Size; selected: boolean; onSelect?: () => void }) {
  const unit = Math.max(size.width, size.height) / 100;
  const common = {
    class: `zone zone-${shape.kind}${selected ? " zone-selected" : ""}${shape.id === undefined ? " zone-sketch" : ""}`,
    style: { color: shape.color },
    "data-kind": shape.kind,
    onClick: onSelect && ((event: MouseEvent) => { event.stopPropagation(); onSelect(); }),
  };
  const ids = shape.id === undefined ? { "data-testid": "zone-sketch" } : { "data-zone-id": String(shape.id), "data-selected": String(selected) };
  if (shape.kind === "polygon") {
    const [cx, cy] = toPixels(centreOf(shape.points), size);
    return (
      <g {...common} {...ids}>
        <polygon class="zone-area" points={pointsAttribute(shape.points, size)} />
        <text class="zone-text" x={cx} y={cy} font-size={unit * 2.4} stroke-width={unit * 0.35} text-anchor="middle" dominant-baseline="middle">
          {shape.name}
        </text>
      </g>
    );
  }
  const [a, b] = shape.points.map((point) => toPixels(point, size));
  const arrow = crossingArrow(shape.points[0], shape.points[1], size, unit * 8);
  const along = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
  const [ux, uy] = [(b[0] - a[0]) / along, (b[1] - a[1]) / along];
  const endLabel = (text: string, [x, y]: Point, away: number) => (
    <text class="zone-text" x={x + ux * unit * 2.5 * away} y={y + uy * unit * 2.5 * away} font-size={unit * 2.6}
      stroke-width={unit * 0.35} text-anchor="middle" dominant-baseline="middle">{text}</text>
  );
  // "A→B" beyond the arrowhead and the name beyond the tail, each running away from the line so neither covers it.
  const [nx] = arrow.normal;
  const away = (sign: number) => (nx * sign > 0.3 ? "start" : nx * sign < -0.3 ? "end" : "middle");
  const beyond = ([x, y]: Point, sign: number): Point => [x + arrow.normal[0] * unit * 2.5 * sign, y + arrow.normal[1] * unit * 2.5 * sign];
  const [labelX, labelY] = beyond(arrow.head, 1);
  const [nameX, nameY] = beyond(arrow.tail, -1);
  return (
    <g {...common} {...ids}>
      <line class="zone-hit" x1={a[0]} y1={a[1]} x2={b[0]} y2={b[1]} />
      <line class="zone-stroke" x1={a[0]} y1={a[1]} x2={b[0]} y2={b[1]} />
      <line class="zone-stroke" x1={arrow.tail[0]} y1={arrow.tail[1]} x2={arrow.head[0]} y2={arrow.head[1]} />
      <polygon class="zone-arrowhead" points={[arrow.head, ...arrow.wings].map((p) => p.join(",")).join(" ")} />
      <text class="zone-text" x={labelX} y={labelY} font-size={unit * 2} stroke-width={unit * 0.3}
        text-anchor={away(1)} dominant-baseline="middle">A→B</text>
      {endLabel("A", a, -1)}
      {endLabel("B", b, 1)}
      <text class="zone-text" x={nameX} y={nameY} font-size={unit * 2.4} stroke-width={unit * 0.35}
        text-anchor={away(-1)} dominant-baseline="middle">{shape.name}</text>
    </g>
  );
}

export function ZoneCanvas({ picture, size, zones, selected, sketch, tool, onSelect, onDrawn, onCancel }: ZoneCanvasProps) {
  const layer = useRef<SVGSVGElement>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [pointer, setPointer] = useState<Point | null>(null);
  const latest = useRef({ points, tool, onDrawn, onCancel });
  latest.current = { points, tool, onDrawn, onCancel };

  useEffect(() => setPoints([]), [tool]);

  function finish(kind: ZoneKind, shape: Point[]) {
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
      } else if (event.key === "Enter" && kind === "polygon" && drawn.length >= 3) {
        event.preventDefault();
        setPoints([]);
        latest.current.onDrawn("polygon", drawn);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tool]);

  function onClick(event: MouseEvent) {
    if (!tool) {
      onSelect(null);
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
      finish("polygon", points);
    } else {
      setPoints([...points, point]);
    }
  }

  function onDoubleClick() {
    if (tool === "polygon" && points.length >= 3) finish("polygon", points);
  }

  const unit = Math.max(size.width, size.height) / 100;
  const trail = pointer && points.length ? [...points, pointer] : points;
  return (
    <div class="zone-canvas" style={{ "--aspect": String(size.width / size.height) }}>
      {picture
        ? <img src={picture} alt="What the camera sees" data-testid="camera-picture" />
        : <div class="zone-canvas-blank" />}
      <svg ref={layer} class={`zone-layer${tool ? " drawing" : ""}`} viewBox={`0 0 ${size.width} ${size.height}`}
        data-testid="zone-layer" data-tool={tool ?? "none"} data-points={points.length}
        onClick={onClick} onDblClick={onDoubleClick}
        onPointerMove={(event) => tool && setPointer(pointAt(event.clientX, event.clientY, layer.current!.getBoundingClientRect()))}
        onPointerLeave={() => setPointer(null)}>
        {zones.map((zone) => (
          <ShapeView key={zone.id} shape={zone} size={size} selected={zone.id === selected}
            onSelect={() => onSelect(zone.id ?? null)} />
        ))}
        {sketch && <ShapeView shape={sketch} size={size} selected />}
        {trail.length > 0 && (
          <g class="zone-drawing">
            <polyline points={pointsAttribute(trail, size)} />
            {points.map((point, index) => {
              const [x, y] = toPixels(point, size);
              const closes = tool === "polygon" && index === 0 && points.length >= 3;
              return <circle cx={x} cy={y} r={unit * (closes ? 1.4 : 0.8)} class={closes ? "closes" : ""} />;
            })}
          </g>
        )}
      </svg>
    </div>
  );
}
