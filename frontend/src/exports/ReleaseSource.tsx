/** The export keeps its span's recordings from retention until someone releases them. */

import { useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import type { Export } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote } from "../components/Notice";

export function ReleaseSource({ item, onReleased }: { item: Export; onReleased: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function release() {
    setBusy(true);
    try {
      await redactedExports.release(item.id);
      setConfirming(false);
      onReleased();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  if (!item.source_locked) {
    return <p class="muted" data-testid="source-released">The source footage is released: retention deletes it as usual.</p>;
  }
  return (
    <div class="release-source">
      <p class="muted">The recordings of this span are kept, past retention, until released.</p>
      <button type="button" onClick={() => setConfirming(true)}>Release the source footage</button>
      {confirming && (
        <ConfirmDialog title="Release the source footage?" confirmLabel="Release the source footage" busy={busy}
          onConfirm={release} onCancel={() => { setConfirming(false); setError(null); }}>
          <p>Retention may then delete the recordings of this span, and the export could not be made again from them.</p>
          <ErrorNote error={error} />
        </ConfirmDialog>
      )}
    </div>
  );
}
