/** Which users and roles may see which cameras (admins see every camera). */

import { useState } from "preact/hooks";
import { cameraAccess } from "../api/endpoints";
import type { Camera, CameraAccess, User } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { Field, FormErrors } from "../components/Field";
import { Empty, ErrorNote } from "../components/Notice";

interface CameraAccessListProps {
  entries: CameraAccess[];
  cameras: Camera[];
  users: User[];
  onChanged: () => void;
}

const GRANTABLE_ROLES = ["Operator", "Investigator"];

function GrantForm({ cameras, users, onGranted }: { cameras: Camera[]; users: User[]; onGranted: () => void }) {
  const [camera, setCamera] = useState("");
  const [who, setWho] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);

  async function grant(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const [kind, name] = who.split(":", 2);
      await cameraAccess.grant(Number(camera), kind === "group" ? { group: name } : { user: name });
      setWho("");
      onGranted();
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form class="grant-form" onSubmit={grant} data-testid="grant-form">
      <FormErrors error={error} />
      <div class="field-row">
        <Field label="Camera" name="camera" error={error}>
          <select name="camera" required value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
            <option value="">Camera…</option>
            {cameras.map((c) => <option value={String(c.id)}>{c.name}</option>)}
          </select>
        </Field>
        <Field label="Who" name="user" error={error}>
          <select name="who" required value={who} onChange={(e) => setWho(e.currentTarget.value)}>
            <option value="">Role or user…</option>
            <optgroup label="Everyone with the role">
              {GRANTABLE_ROLES.map((role) => <option value={`group:${role}`}>{role}s</option>)}
            </optgroup>
            <optgroup label="One user">
              {users.filter((u) => u.role !== "Admin").map((u) => <option value={`user:${u.username}`}>{u.username}</option>)}
            </optgroup>
          </select>
        </Field>
        <div class="field buttons">
          <button type="submit" class="primary" disabled={saving || !camera || !who}>Give access</button>
        </div>
      </div>
    </form>
  );
}

export function CameraAccessList({ entries, cameras, users, onChanged }: CameraAccessListProps) {
  const canGrant = useCan(PERMISSION.grantAccess);
  const canRevoke = useCan(PERMISSION.revokeAccess);
  const [error, setError] = useState<unknown>(null);
  const names = new Map(cameras.map((c) => [c.id, c.name]));

  async function revoke(entry: CameraAccess) {
    setError(null);
    try {
      await cameraAccess.revoke(entry.id);
      onChanged();
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <div>
      <div class="section-title"><h2>Camera access</h2></div>
      <p class="muted">Operators and investigators see only the cameras listed for them or their role. Admins see every camera.</p>
      {canGrant && <GrantForm cameras={cameras} users={users} onGranted={onChanged} />}
      <ErrorNote error={error} />
      {entries.length === 0
        ? <Empty><p>No camera is shared yet: operators and investigators see no cameras.</p></Empty>
        : (
          <table class="table">
            <thead><tr><th>Camera</th><th>Who</th><th /></tr></thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id} data-access-id={entry.id}>
                  <td>{names.get(entry.camera) ?? `Camera ${entry.camera}`}</td>
                  <td>{entry.user ? `User ${entry.user}` : `Every ${entry.group}`}</td>
                  <td class="row-actions">
                    {canRevoke && <button type="button" class="link danger-text" onClick={() => revoke(entry)}>Remove</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </div>
  );
}
