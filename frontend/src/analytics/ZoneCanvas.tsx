/**
 * A picture (the camera's, or a radar's site plan) with the device's zones drawn over it: areas with their names, lines with the arrow that shows
 * "A→B". The admin picks a zone by clicking it, or draws a new one with the chosen tool.
 */

import type { Point, ZoneKind } from "../api/types";
import { PictureCanvas } from "../drawing/PictureCanvas";
import { centreOf, pointsAttribute, toPixels, type Size } from "../drawing/pictureGeometry";
import { crossingArrow } from "./zoneGeometry";

/** What the layer draws of a zone; a shape not saved yet has no id. */
export interface Shape {
  id?: number;
  name: string;
  kind: ZoneKind;
  points: Point[];
  color: string;
}

interface ZoneCanvasProps {
  /** The picture's URL (a camera's as a data: URL, a site plan's image), or null when there is none. */
  picture: string | null;
  /** What the picture shows, for screen readers. */
  alt: string;
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

function ShapeView({ shape, size, selected, onSelect }: { shape: Shape; size: Size; selected: boolean; onSelect?: () => void }) {
  const unit = Math.max(size.width, size.height) / 100;
  const common = {
    class: `zone zone-${shape.kind}${selected ? " zone-selected" : ""}${shape.id === undefined ? " zone-sketch" : ""}`,
    style: { color: shape.color },
    "data-kind": shape.kind,
    onClick: onSelect && ((event: MouseEvent) => { event.stopPropagation(); onSelect(); }),
  };
  const ids = shape.id === undefined ? { "data-testid": "zone-sketch" } : { "data-zone-id": String(shape.id), "data-selected": String(selected) };
  if (shape.kind === "area") {
    const [cx, cy] = toPixels(centreOf(shape.points), size);
    return (
      <g {...common} {...ids}>
        <polygon class="zone-area" points={pointsAttribute(shape.points, size)} />
        <text class="shape-text" x={cx} y={cy} font-size={unit * 2.4} stroke-width={unit * 0.35} text-anchor="middle" dominant-baseline="middle">
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
    <text class="shape-text" x={x + ux * unit * 2.5 * away} y={y + uy * unit * 2.5 * away} font-size={unit * 2.6}
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
      <text class="shape-text" x={labelX} y={labelY} font-size={unit * 2} stroke-width={unit * 0.3}
        text-anchor={away(1)} dominant-baseline="middle">A→B</text>
      {endLabel("A", a, -1)}
      {endLabel("B", b, 1)}
      <text class="shape-text" x={nameX} y={nameY} font-size={unit * 2.4} stroke-width={unit * 0.35}
        text-anchor={away(-1)} dominant-baseline="middle">{shape.name}</text>
    </g>
  );
}

export function ZoneCanvas({ picture, alt, size, zones, selected, sketch, tool, onSelect, onDrawn, onCancel }: ZoneCanvasProps) {
  return (
    <PictureCanvas picture={picture} alt={alt} size={size} tool={tool} layerId="zone-layer"
      onDrawn={onDrawn} onCancel={onCancel} onClickBeside={() => onSelect(null)}>
      {zones.map((zone) => (
        <ShapeView key={zone.id} shape={zone} size={size} selected={zone.id === selected}
          onSelect={() => onSelect(zone.id ?? null)} />
      ))}
      {sketch && <ShapeView shape={sketch} size={size} selected />}
    </PictureCanvas>
  );
}
