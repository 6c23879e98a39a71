/**
 * Saving and deleting a shape drawn over a camera's picture (a zone, a privacy mask): the busy flag, the
 * errors of each, and the delete confirmation, so each details form only says what it saves.
 */

import { useState } from "preact/hooks";

interface ShapeActions<T> {
  /** Create the drawn shape or update the saved one; gives what the server saved. */
  save: () => Promise<T>;
  remove: () => Promise<void>;
  onSaved: (saved: T) => void;
  onDeleted: () => void;
}

export function useShapeForm<T>({ save, remove, onSaved, onDeleted }: ShapeActions<T>) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const saved = await save();
      setSaving(false);
      onSaved(saved);
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  async function confirmDelete() {
    setSaving(true);
    try {
      await remove();
      onDeleted();
    } catch (failure) {
      setDeleteError(failure);
      setSaving(false);
    }
  }

  function askToDelete(asking: boolean) {
    setConfirming(asking);
    if (!asking) setDeleteError(null);
  }

  return { saving, error, confirming, deleteError, submit, confirmDelete, askToDelete };
}
