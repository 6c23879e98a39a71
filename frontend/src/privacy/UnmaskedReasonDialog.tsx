/** Why unmasked video is needed, asked before it is shown; the answer goes to the audit log with the view. */

import { useEffect, useRef, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera, UnmaskedAccess } from "../api/types";
import { Field, FormErrors } from "../components/Field";

interface UnmaskedReasonDialogProps {
  camera: Camera;
  onGranted: (access: UnmaskedAccess) => void;
  onCancel: () => void;
}

export function UnmaskedReasonDialog({ camera, onGranted, onCancel }: UnmaskedReasonDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onGranted(await cameras.unmaskedAccess(camera.id, reason.trim()));
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} class="dialog" onCancel={(event) => { event.preventDefault(); onCancel(); }}>
      <form onSubmit={submit} data-testid="unmasked-reason-form">
        <h2>View {camera.name} unmasked?</h2>
        <p class="muted">The video is shown without its privacy masks. Your name and reason are kept in the audit log.</p>
        <Field label="Reason for viewing unmasked video" name="reason" error={error} hint="At least 5 characters, e.g. an incident number.">
          <textarea name="unmasked-reason" rows={2} required minLength={5} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </Field>
        <FormErrors error={error} />
        <div class="actions">
          <button type="button" onClick={onCancel}>Cancel</button>
          <button type="submit" class="primary" disabled={busy}>View unmasked video</button>
        </div>
      </form>
    </dialog>
  );
}
