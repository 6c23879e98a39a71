/** Asks before deleting a camera, because its recordings go with it. */

import { useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote } from "../components/Notice";

export function DeleteCameraDialog({ camera, onDone, onCancel }: { camera: Camera; onDone: () => void; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    try {
      await cameras.remove(camera.id);
      onDone();
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title={`Delete ${camera.name}?`} confirmLabel="Delete camera and recordings" busy={busy}
      onConfirm={confirm} onCancel={onCancel}>
      <p>The camera and <strong>all its recordings</strong> are deleted. This cannot be undone.</p>
      <ErrorNote error={error} />
    </ConfirmDialog>
  );
}
