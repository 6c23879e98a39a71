/** Filters of the audit log: what happened, who, which camera, and between when. */

import { useState } from "preact/hooks";
import type { AuditFilters } from "../api/endpoints";
import type { Camera } from "../api/types";

// The server's AuditAction choices (accounts/models.py).
const ACTIONS: [string, string][] = [
  ["login", "Logged in"],
  ["login_failed", "Failed login"],
  ["logout", "Logged out"],
  ["live_view", "Live video watched"],
  ["playback", "Recording played back"],
  ["clip_download", "Clip downloaded"],
  ["camera_created", "Camera added"],
  ["camera_changed", "Camera changed"],
  ["camera_deleted", "Camera deleted"],
  ["user_created", "User added"],
  ["user_changed", "User changed"],
  ["user_deleted", "User deleted"],
  ["access_granted", "Camera access granted"],
  ["access_revoked", "Camera access revoked"],
];

/** <input type="datetime-local"> is local time without an offset; the API wants one. */
function isoOf(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

export function AuditFilterForm({ cameras, onApply }: { cameras: Camera[]; onApply: (filters: AuditFilters) => void }) {
  const [action, setAction] = useState("");
  const [username, setUsername] = useState("");
  const [camera, setCamera] = useState("");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");

  function apply(event: Event) {
    event.preventDefault();
    onApply({ action, username: username.trim(), camera, start: isoOf(start), end: isoOf(end) });
  }

  function clear() {
    setAction(""); setUsername(""); setCamera(""); setStart(""); setEnd("");
    onApply({});
  }

  return (
    <form class="filters" onSubmit={apply} data-testid="audit-filters">
      <label class="field"><span class="field-label">What</span>
        <select name="action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
          <option value="">Anything</option>
          {ACTIONS.map(([value, label]) => <option value={value}>{label}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">Who (username)</span>
        <input name="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">Camera</span>
        <select name="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
          <option value="">Any camera</option>
          {cameras.map((c) => <option value={String(c.id)}>{c.name}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">From</span>
        <input type="datetime-local" name="start" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">To</span>
        <input type="datetime-local" name="end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
      </label>
      <div class="field buttons">
        <button type="submit" class="primary">Show</button>
        <button type="button" onClick={clear}>Clear</button>
      </div>
    </form>
  );
}
