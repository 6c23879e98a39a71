/**
 * Ask for a redacted export of a span: what to find and mask (faces, people, licence plates and text, everything
 * that moves), fixed areas drawn on a frame of the video, the style, whether to mute the sound, and the reason. The export then goes on at
 * /exports/<id>.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import type { Camera, ExportArea, MaskStyle, Point, RedactKind } from "../api/types";
import { navigate } from "../app/router";
import { Field, fieldErrors, FormErrors } from "../components/Field";
import { PictureCanvas } from "../drawing/PictureCanvas";
import { pointsAttribute } from "../drawing/pictureGeometry";
import { REDACT_KINDS, REDACTION_STYLES, spanWords } from "./exportWords";
import type { VideoFrame } from "./videoFrame";

interface RedactedExportFormProps {
  camera: Camera;
  span: { start: number; end: number };
  frame: VideoFrame;
  onCancel: () => void;
}

export function RedactedExportForm({ camera, span, frame, onCancel }: RedactedExportFormProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [redact, setRedact] = useState<RedactKind[]>([]);
  const [areas, setAreas] = useState<ExportArea[]>([]);
  const [drawing, setDrawing] = useState(false);
  const [style, setStyle] = useState<MaskStyle>("blur");
  const [muteAudio, setMuteAudio] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  function toggle(kind: RedactKind, on: boolean) {
    setRedact(on ? [...redact, kind] : redact.filter((each) => each !== kind));
  }

  function drawn(_kind: string, points: Point[]) {
    setAreas([...areas, { points }]);
    setDrawing(false);
  }

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await redactedExports.create({
        camera: camera.id,
        start: new Date(span.start).toISOString(),
        end: new Date(span.end).toISOString(),
        redact,
        areas,
        style,
        mute_audio: muteAudio,
        reason: reason.trim(),
      });
      navigate(`/exports/${created.id}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    // Escape closes the dialog unless an area is being drawn, where it only cancels the drawing.
    <dialog ref={dialog} class="dialog dialog-wide" onCancel={(event) => { event.preventDefault(); if (!drawing) onCancel(); }}>
      <form class="redacted-export-form" onSubmit={submit} data-testid="redacted-export-form">
        <h2>Redacted export of {camera.name}</h2>
        <p class="muted">{spanWords(span.start, span.end)}</p>
        <FormErrors error={error} />
        <fieldset class="object-classes">
          <legend>What to redact</legend>
          {REDACT_KINDS.map(([kind, words]) => (
            <label class="checkbox-inline">
              <input type="checkbox" name="redact" value={kind} checked={redact.includes(kind)}
                onChange={(e) => toggle(kind, e.currentTarget.checked)} />
              {words}
            </label>
          ))}
          <span class="field-hint">
            What is found is shown for review before anything is rendered. None ticked: only the fixed areas are masked, with no review.
          </span>
          {fieldErrors(error, "redact").map((message) => <span class="field-error" role="alert">{message}</span>)}
        </fieldset>
        <div class="section-title">
          <h3>Fixed areas (optional)</h3>
          <span class="spacer" />
          <button type="button" aria-pressed={drawing} onClick={() => setDrawing(!drawing)}>Draw a fixed area</button>
        </div>
        <p class="muted small">
          {drawing
            ? "Click to add corners. Click the first corner, double-click or press Enter to close the area; Escape cancels."
            : frame.picture
              ? "Masked on every frame, e.g. a screen or a window."
              : "No frame of the recording is shown yet; areas can still be drawn on the empty frame."}
        </p>
        <PictureCanvas picture={frame.picture} alt="A frame of the recording" size={frame.size} tool={drawing ? "area" : null}
          layerId="area-layer" onDrawn={drawn} onCancel={() => setDrawing(false)}>
          {areas.map((area, index) => (
            <polygon class="export-area" data-area-index={index} points={pointsAttribute(area.points, frame.size)} />
          ))}
        </PictureCanvas>
        {fieldErrors(error, "areas").map((message) => <div class="field-error" role="alert">{message}</div>)}
        {areas.length > 0 && (
          <ul class="plain" aria-label="Fixed areas">
            {areas.map((_, index) => (
              <li>
                Area {index + 1}{" "}
                <button type="button" class="link danger-text" onClick={() => setAreas(areas.filter((__, at) => at !== index))}>
                  Remove area {index + 1}
                </button>
              </li>
            ))}
          </ul>
        )}
        <div class="field-row">
          <Field label="Redaction style" name="style" error={error}>
            <select name="redaction-style" value={style} onChange={(e) => setStyle(e.currentTarget.value as MaskStyle)}>
              {REDACTION_STYLES.map(([value, words]) => <option value={value}>{words}</option>)}
            </select>
          </Field>
          <Field label="Reason for the export" name="reason" error={error} hint="Kept in the audit log and the signed manifest, e.g. a case number.">
            <input name="export-reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          </Field>
        </div>
        <label class="checkbox">
          <input type="checkbox" name="mute_audio" checked={muteAudio} onChange={(e) => setMuteAudio(e.currentTarget.checked)} />
          Mute audio: leave the recorded sound out of the export (the signed manifest says so)
        </label>
        <div class="actions">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>{busy ? "Starting…" : "Start redacted export"}</button>
        </div>
      </form>
    </dialog>
  );
}
