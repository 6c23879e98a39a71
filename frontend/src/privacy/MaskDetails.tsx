/** Name, style and colour of one privacy mask, saved or just drawn; a saved mask can be deleted. */

import { useState } from "preact/hooks";
import { privacyMasks } from "../api/endpoints";
import type { MaskStyle, PrivacyMask } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field, fieldErrors, FormErrors } from "../components/Field";
import { ErrorNote } from "../components/Notice";
import { useShapeForm } from "../drawing/useShapeForm";
import { MASK_STYLES } from "./maskWords";
import type { MaskOutline } from "./MaskShape";
import type { PtzView } from "./ptzView";

interface MaskDetailsProps {
  camera: number;
  mask: MaskOutline;
  /** A new mask on a PTZ camera: the view it was drawn on (null: where the camera looks when it is saved). */
  view?: PtzView | null;
  onSaved: (mask: PrivacyMask) => void;
  onDeleted: () => void;
  /** Discard a drawn mask, or stop editing a saved one. */
  onClose: () => void;
}

export function MaskDetails({ camera, mask, view, onSaved, onDeleted, onClose }: MaskDetailsProps) {
  const [name, setName] = useState(mask.name);
  const [style, setStyle] = useState<MaskStyle>(mask.style);
  const [color, setColor] = useState(mask.color);
  const isNew = mask.id === undefined;
  const { saving, error, confirming, deleteError, submit, confirmDelete, askToDelete } = useShapeForm({
    save: () => {
      const input = { name: name.trim(), style, color };
      return mask.id === undefined
        ? privacyMasks.create(camera, { ...input, points: mask.points, ...(view ? { view } : {}) })
        : privacyMasks.update(camera, mask.id, input);
    },
    remove: () => privacyMasks.remove(camera, mask.id!),
    onSaved,
    onDeleted,
  });

  return (
    <form class="shape-details" onSubmit={submit} data-testid="mask-details">
      <h3>{isNew ? "New mask" : `The mask “${mask.name}”`}</h3>
      {mask.fixed_to_scene && <p class="muted small">Fixed to the scene: it stays on this part of the scene as the camera moves.</p>}
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
          : <button type="button" class="link danger-text" onClick={() => askToDelete(true)}>Delete mask</button>}
        <span class="spacer" />
        {!isNew && <button type="button" onClick={onClose}>Close</button>}
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : isNew ? "Save mask" : "Save changes"}</button>
      </div>
      {confirming && (
        <ConfirmDialog title={`Delete ${mask.name}?`} confirmLabel="Delete mask" busy={saving}
          onConfirm={confirmDelete} onCancel={() => askToDelete(false)}>
          <p>From now on this part of the picture is recorded and shown again. Video already recorded stays masked.</p>
          <ErrorNote error={deleteError} />
        </ConfirmDialog>
      )}
    </form>
  );
}
