/** Four eyes: an export waiting for approval is approved by someone other than its requester, then rendered. */

import { useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import type { Export } from "../api/types";
import { useMe } from "../app/session";
import { ErrorNote } from "../components/Notice";

export function ApproveExport({ item, onApproved }: { item: Export; onApproved: (next: Export) => void }) {
  const me = useMe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (me.username === item.requested_by) {
    return <p class="card muted" data-testid="awaiting-approval">Someone other than you must approve this export before it is rendered.</p>;
  }

  async function approve() {
    setBusy(true);
    try {
      onApproved(await redactedExports.approve(item.id));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="card approve-export">
      <p>{item.requested_by} asked for this export for: {item.reason}. Check the span and what it redacts above, then approve it to render.</p>
      <button type="button" class="primary" disabled={busy} onClick={approve}>Approve and render</button>
      <ErrorNote error={error} />
    </div>
  );
}
