/** A camera's privacy masks on its picture: draw areas nobody may see; name, restyle, recolour or delete them. */

import { useEffect, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import type { Camera, Point, PrivacyMask } from "../api/types";
import { useCameraPicture } from "../analytics/useCameraPicture";
import { ErrorNote } from "../components/Notice";
import { PictureCanvas } from "../drawing/PictureCanvas";
import { MaskDetails } from "./MaskDetails";
import { MaskPatterns, MaskShape, type MaskOutline } from "./MaskShape";
import { MASK_STYLE_WORDS } from "./maskWords";
import { onView, type PtzView } from "./ptzView";

const HOW_TO = {
  drawing: "Click to add corners. Click the first corner, double-click or press Enter to close the mask; Escape cancels.",
  idle: "Click a mask to rename, restyle or delete it.",
};

interface MaskEditorProps {
  camera: Camera;
  masks: PrivacyMask[];
  /** A mask was saved or deleted: load the masks again. */
  onChanged: () => void;
}

export function MaskEditor({ camera, masks, onChanged }: MaskEditorProps) {
  const { taking, picture, size, error, retake } = useCameraPicture(camera);
  // A PTZ camera's picture shows one view of its scene: where it looked once the picture was taken.
  const [view, setView] = useState<PtzView | null>(null);
  useEffect(() => {
    if (!camera.ptz || taking) return;
    ptz.status(camera.id).then(({ position }) => {
      const known = position && position.pan !== null && position.tilt !== null && position.zoom !== null;
      setView(known ? { pan: position.pan!, tilt: position.tilt!, zoom: position.zoom! } : null);
    }, () => setView(null));
  }, [camera.id, camera.ptz, taking]);
  const shown = masks.map((mask) =>
    mask.scene_points && view ? { ...mask, points: onView(mask.scene_points as Point[], view, camera) } : mask);
  const [drawing, setDrawing] = useState(false);
  const [sketch, setSketch] = useState<MaskOutline | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const chosen = masks.find((mask) => mask.id === selected);

  function draw() {
    setDrawing(!drawing);
    setSketch(null);
    setSelected(null);
  }

  function drawn(_kind: string, points: Point[]) {
    setDrawing(false);
    setSketch({ name: `Mask ${masks.length + 1}`, points, style: "solid", color: "#000000", scene_points: null,
      fixed_to_scene: camera.ptz });
  }

  // Picking another mask leaves a drawn one unsaved; a click beside every mask keeps it.
  function select(id: number | null) {
    if (id !== null) setSketch(null);
    setSelected(id);
  }

  return (
    <section class="card" data-testid="mask-editor">
      <div class="section-title">
        <h2>Privacy masks</h2>
        <span class="spacer" />
        <button type="button" aria-pressed={drawing} onClick={draw}>Draw a mask</button>
        <button type="button" disabled={taking} onClick={retake}>{taking ? "Taking a picture…" : "Take a new picture"}</button>
      </div>
      <p class="muted small" data-testid="mask-how-to">{HOW_TO[drawing ? "drawing" : "idle"]}</p>
      {camera.rotation !== 0 && (
        <p class="muted small">
          The picture is shown as the camera sends it, before the {camera.rotation}° rotation: masks belong to the camera's own picture.
        </p>
      )}
      {camera.ptz && (
        <p class="note" data-testid="mask-fixed-to-scene">
          {camera.name} is a PTZ camera: a mask is drawn on the view it shows now and stays fixed to that part of the
          scene however the camera pans, tilts and zooms.{" "}
          {view
            ? `This picture was taken at pan ${view.pan.toFixed(2)}, tilt ${view.tilt.toFixed(2)}, zoom ${view.zoom.toFixed(2)}.`
            : "Where it looks could not be read: a new mask is placed from where it looks when saved."}
        </p>
      )}
      <ErrorNote error={error} title="No picture from the camera; masks can still be drawn on the empty frame." />
      <div class="picture-workspace">
        <PictureCanvas picture={picture} alt="What the camera sees" size={size} tool={drawing ? "area" : null} layerId="mask-layer"
          onDrawn={drawn} onCancel={() => setDrawing(false)} onClickBeside={() => select(null)}>
          <MaskPatterns size={size} />
          {shown.map((mask) => (
            <MaskShape key={mask.id} mask={mask} size={size} picture={picture} selected={mask.id === selected}
              onSelect={() => select(mask.id)} />
          ))}
          {sketch && <MaskShape mask={sketch} size={size} picture={picture} selected />}
        </PictureCanvas>
        <div class="picture-side">
          {masks.length === 0 && !sketch && <p class="muted">No masks yet. Draw one over what nobody may see.</p>}
          {masks.length > 0 && (
            <ul class="shape-list" aria-label="Privacy masks">
              {masks.map((mask) => (
                <li key={mask.id}>
                  <button type="button" class="shape-pick" aria-pressed={mask.id === selected} onClick={() => select(mask.id)}>
                    <span class="swatch" style={{ background: mask.color }} />
                    {mask.name}
                    <span class="muted small">{MASK_STYLE_WORDS[mask.style]}</span>
                    {mask.fixed_to_scene && <span class="muted small">fixed to the scene</span>}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {sketch && (
            <MaskDetails key="new" camera={camera.id} mask={sketch} view={view}
              onSaved={(mask) => { setSketch(null); setSelected(mask.id); onChanged(); }}
              onDeleted={onChanged} onClose={() => setSketch(null)} />
          )}
          {chosen && (
            <MaskDetails key={chosen.id} camera={camera.id} mask={chosen}
              onSaved={onChanged} onDeleted={() => { setSelected(null); onChanged(); }} onClose={() => setSelected(null)} />
          )}
        </div>
      </div>
    </section>
  );
}
