/** Name, style and colour of one privacy mask, saved or just drawn; a saved mask can be deleted. */

import { useState } from "preact/hooks";
import { privacyMasks } from "../api/endpoints";
import type { MaskStyle, PrivacyMask } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field, fieldErrors, FormErrors } from "../components/Field";
import { ErrorNote } from "../components/Notice";
import { MASK_STYLES } from "./maskWords";
import type { MaskOutline } from "./MaskShape";

interface MaskDetailsProps {
  camera: number;
  mask: MaskOutline;
  onSaved: (mask: PrivacyMask) => void;
  onDeleted: () => void;
  /** Discard a drawn mask, or stop editing a saved one. */
  onClose: () => void;
}

export function MaskDetails({ camera, mask, onSaved, onDeleted, onClose }: MaskDetailsProps) {
  const [name, setName] = useState(mask.name);
  const [style, setStyle] = useState<MaskStyle>(mask.style);
  const [color, setColor] = useState(mask.color);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const isNew = mask.id === undefined;

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const input = { name: name.trim(), style, color };
      const saved = mask.id === undefined
        ? await privacyMasks.create(camera, { ...input, points: mask.points })
        : await privacyMasks.update(camera, mask.id, input);
      setSaving(false);
      onSaved(saved);
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  async function remove() {
    setSaving(true);
    try {
      await privacyMasks.remove(camera, mask.id!);
      onDeleted();
    } catch (failure) {
      setDeleteError(failure);
      setSaving(false);
    }
  }

  return (
    <form class="shape-details" onSubmit={save} data-testid="mask-details">
      <h3>{isNew ? "New mask" : `The mask “${mask.name}”`}</h3>
      <FormErrors error={error} />
      {fieldErrors(error, "points").map((message) => <div class="field-error" role="alert">{message}</div>)}
      <Field label="Mask name" name="name" error={error}>
        <input name="mask-name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Mask style" name="style" error={error}>
        <select name="mask-style" value={style} onChange={(e) => setStyle(e.currentTarget.value as MaskStyle)}>
          {MASK_STYLES.map(([value, words]) => <option value={value}>{words}</option>)}
        </select>
      </Field>
      <Field label="Mask colour" name="color" error={error} hint={style === "solid" ? undefined : "Here it only outlines the mask."}>
        <input name="mask-color" type="color" value={color} onInput={(e) => setColor(e.currentTarget.value)} />
      </Field>
      <div class="actions">
        {isNew
          ? <button type="button" onClick={onClose}>Discard</button>
          : <button type="button" class="link danger-text" onClick={() => setConfirming(true)}>Delete mask</button>}
        <span class="spacer" />
        {!isNew && <button type="button" onClick={onClose}>Close</button>}
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : isNew ? "Save mask" : "Save changes"}</button>
      </div>
      {confirming && (
        <ConfirmDialog title={`Delete ${mask.name}?`} confirmLabel="Delete mask" busy={saving}
          onConfirm={remove} onCancel={() => { setConfirming(false); setDeleteError(null); }}>
          <p>From now on this part of the picture is recorded and shown again. Video already recorded stays masked.</p>
          <ErrorNote error={deleteError} />
        </ConfirmDialog>
      )}
    </form>
  );
}
