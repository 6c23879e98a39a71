/**
 * A site plan's picture with, drawn over it in SVG, every device placed on it (an icon and the wedge it covers), the
 * zones of the chosen radar, and the objects the radars track live (a dot, its tag, a short trail). Admins place a
 * device by clicking, move it by dragging its icon, and aim it (heading and range) by dragging the handle at the tip
 * of its wedge.
 */

import { useRef, useState } from "preact/hooks";
import { sitePlans } from "../api/endpoints";
import type { Camera, Point, SitePlan, Zone } from "../api/types";
import { pointAt, pointsAttribute, screenDistance, toPixels, type Size } from "../drawing/pictureGeometry";
import { STATE_COLOURS } from "../live/overlayDrawing";
import { bearing, pixelsPerMetre, roundDegrees, toward, wedgePath } from "./planGeometry";
import { useRadarTracks } from "./useRadarTracks";

/** Where a device stands and looks, as the API keeps it. */
export type Placement = Pick<Camera, "plan_x" | "plan_y" | "plan_heading" | "plan_range_m">;

interface PlanViewProps {
  plan: SitePlan;
  devices: Camera[];
  /** Whether the radars' tracks are followed live (the user may watch live). */
  live: boolean;
  /** The chosen radar's zones. */
  zones: Zone[];
  selected: number | null;
  onSelect: (id: number | null) => void;
  /** Admins may move and aim devices. */
  editable: boolean;
  /** A device waiting to be placed: the next click on the plan puts it there. */
  placing: Camera | null;
  onPlace: (point: Point) => void;
  /** A device moved or aimed by dragging. */
  onPlaced: (device: Camera, change: Partial<Placement>) => void;
}

type Drag = { id: number; mode: "move" | "aim"; start: Point; point: Point; moved: boolean };

// Screen pixels a pointer must move before a press on a device is a drag, not a click.
const DRAG_PX = 4;

function stateOf(device: Camera): string {
  return device.live_status.state;
}

export function PlanView({ plan, devices, live, zones, selected, onSelect, editable, placing, onPlace, onPlaced }: PlanViewProps) {
  const layer = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  // A press on a device is not a click on the plan, even when the click lands on the layer that captured the pointer.
  const pressed = useRef(false);
  const size: Size = { width: plan.image_width, height: plan.image_height };
  const unit = Math.max(size.width, size.height) / 100;
  const scale = pixelsPerMetre(plan);
  // Followed here, so the 10 or so box sets a second each radar sends redraw the plan only, not the whole page.
  const tracks = useRadarTracks(devices.filter((device) => device.kind === "radar").map((device) => device.id), live);

  const pointOf = (event: PointerEvent | MouseEvent): Point =>
    pointAt(event.clientX, event.clientY, layer.current!.getBoundingClientRect());

  /** The device as drawn: where a drag has it now, else where it is saved. */
  function shown(device: Camera): Placement {
    if (drag?.id !== device.id || !drag.moved) return device;
    if (drag.mode === "move") return { ...device, plan_x: drag.point[0], plan_y: drag.point[1] };
    const centre = toPixels([device.plan_x!, device.plan_y!], size);
    const tip = toPixels(drag.point, size);
    const range = Math.hypot(tip[0] - centre[0], tip[1] - centre[1]) / scale;
    return { ...device, plan_heading: roundDegrees(bearing(centre, tip)), plan_range_m: Math.max(0.5, Math.round(range * 10) / 10) };
  }

  function press(event: PointerEvent, device: Camera, mode: Drag["mode"]) {
    event.stopPropagation();
    pressed.current = true;
    onSelect(device.id);
    if (!editable || placing) return;
    layer.current!.setPointerCapture(event.pointerId);
    const point = pointOf(event);
    setDrag({ id: device.id, mode, start: point, point, moved: false });
  }

  function move(event: PointerEvent) {
    if (!drag) return;
    const point = pointOf(event);
    const moved = drag.moved || screenDistance(point, drag.start, layer.current!.getBoundingClientRect()) >= DRAG_PX;
    setDrag({ ...drag, point, moved });
  }

  function release() {
    if (!drag) return;
    const device = devices.find((each) => each.id === drag.id);
    setDrag(null);
    if (!device || !drag.moved) return;
    const { plan_x, plan_y, plan_heading, plan_range_m } = shown(device);
    onPlaced(device, drag.mode === "move" ? { plan_x, plan_y } : { plan_heading, plan_range_m });
  }

  function click(event: MouseEvent) {
    if (pressed.current) {
      pressed.current = false;
      return;
    }
    if (placing) onPlace(pointOf(event));
    else onSelect(null);
  }

  const stopClick = (event: MouseEvent) => {
    event.stopPropagation();
    pressed.current = false;
  };

  return (
    <div class="picture-canvas site-plan-canvas" style={{ "--aspect": String(size.width / size.height) }}>
      <img src={sitePlans.pictureUrl(plan)} alt={`Site plan ${plan.name}`} data-testid="plan-picture" />
      <svg ref={layer} class={`picture-layer plan-layer${placing ? " placing" : ""}`} viewBox={`0 0 ${size.width} ${size.height}`}
        data-testid="plan-layer" data-placing={placing ? String(placing.id) : ""}
        onClick={click} onPointerMove={move} onPointerUp={release} onPointerCancel={() => setDrag(null)}>
        {zones.map((zone) => (
          <g key={zone.id} class="zone plan-zone" style={{ color: zone.color }} data-plan-zone-id={zone.id}>
            <polygon class="zone-area" points={pointsAttribute(zone.points as Point[], size)} />
          </g>
        ))}
        {devices.map((device) => {
          const place = shown(device);
          const centre = toPixels([place.plan_x!, place.plan_y!], size);
          const radius = place.plan_range_m * scale;
          const chosen = device.id === selected;
          const tip = toward(centre, place.plan_heading, radius);
          return (
            <g key={device.id} class={`plan-device plan-${device.kind} state-${stateOf(device)}${chosen ? " plan-selected" : ""}`}
              data-testid="plan-device" data-device-id={device.id} data-kind={device.kind} data-state={stateOf(device)}
              data-x={place.plan_x!.toFixed(4)} data-y={place.plan_y!.toFixed(4)} data-heading={place.plan_heading}
              data-range={place.plan_range_m} data-selected={String(chosen)}>
              <path class="plan-coverage" d={wedgePath(centre, place.plan_heading, device.plan_fov, radius)} />
              {device.kind === "radar"
                ? <rect class="plan-icon" x={centre[0] - unit} y={centre[1] - unit} width={unit * 2} height={unit * 2}
                    transform={`rotate(45 ${centre[0]} ${centre[1]})`}
                    onPointerDown={(event) => press(event, device, "move")} onClick={stopClick} />
                : <circle class="plan-icon" cx={centre[0]} cy={centre[1]} r={unit * 1.1}
                    onPointerDown={(event) => press(event, device, "move")} onClick={stopClick} />}
              <text class="shape-text plan-name" x={centre[0]} y={centre[1] + unit * 3.2} font-size={unit * 2}
                stroke-width={unit * 0.3} text-anchor="middle">{device.name}</text>
              {chosen && editable && (
                <circle class="plan-aim" cx={tip[0]} cy={tip[1]} r={unit * 0.9} data-testid="aim-handle"
                  onPointerDown={(event) => press(event, device, "aim")} onClick={stopClick}>
                  <title>Drag to aim: heading and range</title>
                </circle>
              )}
            </g>
          );
        })}
        <g class="plan-tracks" data-testid="radar-tracks" data-tracks={tracks.length}
          data-states={[...new Set(tracks.map((track) => track.box.state))].join(",")}
          data-labels={[...new Set(tracks.map((track) => track.box.label))].join(",")}>
          {tracks.map(({ radar, box, trail }) => {
            const colour = STATE_COLOURS[box.state] ?? STATE_COLOURS.tracked;
            const [x, y] = toPixels(trail[trail.length - 1], size);
            return (
              <g key={`${radar}-${box.track}`} data-testid="plan-track" data-radar={radar} data-track-id={box.track}
                data-state={box.state} data-label={box.label} data-text={box.text}
                data-x={trail[trail.length - 1][0].toFixed(4)} data-y={trail[trail.length - 1][1].toFixed(4)}
                data-trail={trail.length} style={{ color: colour }}>
                {trail.length > 1 && <polyline class="plan-trail" points={pointsAttribute(trail, size)} stroke-width={unit * 0.35} />}
                <circle class="plan-dot" cx={x} cy={y} r={unit * 0.8} />
                <text class="shape-text plan-track-text" x={x + unit * 1.3} y={y - unit * 1.1} font-size={unit * 1.9}
                  stroke-width={unit * 0.3}>{box.text || box.label}</text>
              </g>
            );
          })}
        </g>
      </svg>
    </div>
  );
}
