/** Asks before deleting a camera, because its recordings go with it; or a device without video, with its rules and
 * events. A device whose relay outputs other devices' rules switch is refused, and the dialog says which rules. */

import { useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote } from "../components/Notice";
import { KIND_NAME } from "./deviceKinds";

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

  const video = camera.kind === "camera";
  return (
    <ConfirmDialog title={`Delete ${camera.name}?`} busy={busy} onConfirm={confirm} onCancel={onCancel}
      confirmLabel={video ? "Delete camera and recordings" : `Delete ${KIND_NAME[camera.kind]}`}>
      {video
        ? <p>The camera and <strong>all its recordings</strong> are deleted. This cannot be undone.</p>
        : <p>The {KIND_NAME[camera.kind]}, its rules and its events are deleted. This cannot be undone.</p>}
      <ErrorNote error={error} />
    </ConfirmDialog>
  );
}
