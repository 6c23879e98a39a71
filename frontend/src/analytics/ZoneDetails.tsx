/** Name and colour of one zone, saved or just drawn; a saved zone can be deleted. */

import { useState } from "preact/hooks";
import { zones } from "../api/endpoints";
import type { Zone } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field, fieldErrors, FormErrors } from "../components/Field";
import { ErrorNote } from "../components/Notice";
import { useShapeForm } from "../drawing/useShapeForm";
import type { Shape } from "./ZoneCanvas";

interface ZoneDetailsProps {
  camera: number;
  shape: Shape;
  /** Names of the rules that watch this zone, said before it is deleted. */
  usedBy: string[];
  onSaved: (zone: Zone) => void;
  onDeleted: () => void;
  /** Discard a drawn shape, or stop editing a saved one. */
  onClose: () => void;
}

export function ZoneDetails({ camera, shape, usedBy, onSaved, onDeleted, onClose }: ZoneDetailsProps) {
  const [name, setName] = useState(shape.name);
  const [color, setColor] = useState(shape.color);
  const isNew = shape.id === undefined;
  const what = shape.kind === "line" ? "line" : "area";
  const { saving, error, confirming, deleteError, submit, confirmDelete, askToDelete } = useShapeForm({
    save: () => {
      const input = { name: name.trim(), color };
      return shape.id === undefined
        ? zones.create(camera, { ...input, kind: shape.kind, points: shape.points })
        : zones.update(camera, shape.id, input);
    },
    remove: () => zones.remove(camera, shape.id!),
    onSaved,
    onDeleted,
  });

  return (
    <form class="shape-details" onSubmit={submit} data-testid="shape-details">
      <h3>{isNew ? `New ${what}` : `The ${what} “${shape.name}”`}</h3>
      <FormErrors error={error} />
      {fieldErrors(error, "points").map((message) => <div class="field-error" role="alert">{message}</div>)}
      <Field label="Zone name" name="name" error={error}>
        <input name="zone-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field label="Zone colour" name="color" error={error}>
        <input name="zone-color" type="color" value={color} onInput={(e) => setColor(e.currentTarget.value)} />
      </Field>
      {!isNew && <p class="muted small">{usedBy.length ? `Watched by: ${usedBy.join(", ")}.` : "No rule watches it yet."}</p>}
      <div class="actions">
        {isNew
          ? <button type="button" onClick={onClose}>Discard</button>
          : <button type="button" class="link danger-text" onClick={() => askToDelete(true)}>Delete zone</button>}
        <span class="spacer" />
        {!isNew && <button type="button" onClick={onClose}>Close</button>}
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : isNew ? "Save zone" : "Save changes"}</button>
      </div>
      {confirming && (
        <ConfirmDialog title={`Delete ${shape.name}?`} confirmLabel="Delete zone" busy={saving}
          onConfirm={confirmDelete} onCancel={() => askToDelete(false)}>
          <p>{usedBy.length ? `The rules ${usedBy.join(", ")} watch this ${what}.` : `No rule watches this ${what}.`} This cannot be undone.</p>
          <ErrorNote error={deleteError} />
        </ConfirmDialog>
      )}
    </form>
  );
}
