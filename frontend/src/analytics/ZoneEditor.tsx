/** A device's zones on a picture: draw areas and lines for rules to watch; name, recolour or delete them. The picture
 * is the background given: a camera's own (CameraZoneEditor), or the site plan a radar stands on. */

import { useState } from "preact/hooks";
import type { Camera, Point, Rule, Zone, ZoneKind } from "../api/types";
import { ErrorNote } from "../components/Notice";
import type { Size } from "../drawing/pictureGeometry";
import { useCameraPicture } from "./useCameraPicture";
import { ZoneCanvas, type Shape } from "./ZoneCanvas";
import { ZoneDetails } from "./ZoneDetails";

const COLOURS = ["#22c55e", "#3b82f6", "#f59e0b", "#ef4444", "#a855f7", "#06b6d4", "#ec4899", "#84cc16"];

const HOW_TO: Record<ZoneKind | "none", string> = {
  area: "Click to add corners. Click the first corner, double-click or press Enter to close the area; Escape cancels.",
  line: "Click where the line starts (A), then where it ends (B). Crossing from the left of A→B to its right, the way the arrow points, counts as A→B. Escape cancels.",
  none: "Click a zone to rename, recolour or delete it.",
};

/** The picture zones are drawn on, in the same 0-1 coordinates the device's zones are kept in. */
export interface ZoneBackground {
  /** A URL of the picture (a data: URL, or the plan's image), or null for an empty frame of the same shape. */
  picture: string | null;
  size: Size;
  /** What the picture shows, for screen readers. */
  alt: string;
  error?: unknown;
  /** Said over the error, e.g. that zones can still be drawn without the picture. */
  errorTitle?: string;
  /** Something to know about the picture, shown above it. */
  note?: string;
  /** A fresh picture can be taken (a camera's). */
  taking?: boolean;
  retake?: () => void;
}

interface ZoneEditorProps {
  camera: Camera;
  background: ZoneBackground;
  /** The kinds of zone the device's rules use (a radar: areas only). */
  kinds?: ZoneKind[];
  zones: Zone[];
  rules: Rule[];
  /** A zone was saved or deleted: load the zones (and the rules, which may have lost theirs) again. */
  onChanged: () => void;
}

/** A camera's zones, on a fresh picture from it: as the camera sends it, before rotation. */
export function CameraZoneEditor(props: Omit<ZoneEditorProps, "background">) {
  const { camera } = props;
  const { taking, picture, size, error, retake } = useCameraPicture(camera);
  const background: ZoneBackground = {
    picture, size, error, taking, retake, alt: "What the camera sees",
    errorTitle: "No picture from the camera; zones can still be drawn on the empty frame.",
    note: camera.rotation !== 0
      ? `The picture is shown as the camera sends it, before the ${camera.rotation}° rotation: zones belong to the camera's own picture.`
      : undefined,
  };
  return <ZoneEditor {...props} background={background} />;
}

export function ZoneEditor({ camera, background, kinds = ["area", "line"], zones, rules, onChanged }: ZoneEditorProps) {
  const { taking, picture, size, error, retake } = background;
  const [tool, setTool] = useState<ZoneKind | null>(null);
  const [sketch, setSketch] = useState<Shape | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const chosen = zones.find((zone) => zone.id === selected);

  function pick(next: ZoneKind | null) {
    setTool(next === tool ? null : next);
    setSketch(null);
    setSelected(null);
  }

  function drawn(kind: ZoneKind, points: Point[]) {
    const count = zones.filter((zone) => zone.kind === kind).length + 1;
    setTool(null);
    setSketch({ kind, points, name: kind === "line" ? `Line ${count}` : `Area ${count}`, color: COLOURS[zones.length % COLOURS.length] });
  }

  // Picking another zone leaves a drawn shape unsaved; a click beside every zone keeps it.
  function select(id: number | null) {
    if (id !== null) setSketch(null);
    setSelected(id);
  }

  const usedBy = (id: number) => rules.filter((rule) => rule.zone === id).map((rule) => rule.name);
  return (
    <section class="card zone-editor" data-testid="zone-editor">
      <div class="section-title">
        <h2>{kinds.includes("line") ? "Zones and lines" : "Zones"}</h2>
        <span class="spacer" />
        {kinds.includes("area") && (
          <button type="button" aria-pressed={tool === "area"} onClick={() => pick("area")}>Draw an area</button>
        )}
        {kinds.includes("line") && (
          <button type="button" aria-pressed={tool === "line"} onClick={() => pick("line")}>Draw a line</button>
        )}
        {retake && (
          <button type="button" disabled={taking} onClick={retake}>{taking ? "Taking a picture…" : "Take a new picture"}</button>
        )}
      </div>
      <p class="muted small" data-testid="zone-how-to">{HOW_TO[tool ?? "none"]}</p>
      {background.note && <p class="muted small">{background.note}</p>}
      <ErrorNote error={error} title={background.errorTitle} />
      <div class="picture-workspace">
        <ZoneCanvas picture={picture} alt={background.alt} size={size} zones={zones} selected={selected} sketch={sketch} tool={tool}
          onSelect={select} onDrawn={drawn} onCancel={() => setTool(null)} />
        <div class="picture-side">
          {zones.length === 0 && !sketch && <p class="muted">No zones yet. Draw an area or a line on the picture.</p>}
          {zones.length > 0 && (
            <ul class="shape-list" aria-label="Zones">
              {zones.map((zone) => (
                <li key={zone.id}>
                  <button type="button" class="shape-pick" aria-pressed={zone.id === selected} onClick={() => select(zone.id)}>
                    <span class="swatch" style={{ background: zone.color }} />
                    {zone.name}
                    <span class="muted small">{zone.kind === "line" ? "line" : "area"}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          {sketch && (
            <ZoneDetails key="new" camera={camera.id} shape={sketch} usedBy={[]}
              onSaved={(zone) => { setSketch(null); setSelected(zone.id); onChanged(); }}
              onDeleted={onChanged} onClose={() => setSketch(null)} />
          )}
          {chosen && (
            <ZoneDetails key={chosen.id} camera={camera.id} shape={chosen} usedBy={usedBy(chosen.id)}
              onSaved={onChanged} onDeleted={() => { setSelected(null); onChanged(); }} onClose={() => setSelected(null)} />
          )}
        </div>
      </div>
    </section>
  );
}
