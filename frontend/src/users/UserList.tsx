/** Everyone who may log in, with their role; admins change them or switch them off here. */

import { useState } from "preact/hooks";
import { users } from "../api/endpoints";
import type { User } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan, useMe } from "../app/session";
import { ErrorNote } from "../components/Notice";
import { dateTime } from "../components/format";
import { UserForm } from "./UserForm";

export function UserList({ list, onChanged }: { list: User[]; onChanged: () => void }) {
  const me = useMe();
  const canAdd = useCan(PERMISSION.addUser);
  const canChange = useCan(PERMISSION.changeUser);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function setActive(user: User, active: boolean) {
    setError(null);
    try {
      await users.update(user.id, { is_active: active });
      onChanged();
    } catch (failure) {
      setError(failure);
    }
  }

  const saved = () => { setEditing(null); onChanged(); };
  return (
    <div>
      <div class="section-title">
        <h2>Users</h2>
        <span class="spacer" />
        {canAdd && !editing && <button type="button" class="primary" onClick={() => setEditing("new")}>Add user</button>}
      </div>
      {editing && <UserForm key={editing === "new" ? "new" : editing.id} user={editing === "new" ? undefined : editing}
        onSaved={saved} onCancel={() => setEditing(null)} />}
      <ErrorNote error={error} />
      <table class="table">
        <thead><tr><th>User</th><th>Role</th><th>Status</th><th>Last login</th><th /></tr></thead>
        <tbody>
          {list.map((user) => (
            <tr key={user.id} data-username={user.username} class={user.is_active ? "" : "inactive"}>
              <td>
                <div>{user.username}</div>
                <div class="muted small">{[user.first_name, user.last_name].filter(Boolean).join(" ")} {user.email}</div>
              </td>
              <td>{user.role ?? <span class="muted">No role</span>}</td>
              <td>{user.is_active ? "Active" : "Deactivated"}</td>
              <td>{user.last_login ? dateTime(user.last_login) : <span class="muted">Never</span>}</td>
              <td class="row-actions">
                {canChange && <button type="button" class="link" onClick={() => setEditing(user)}>Change</button>}
                {canChange && user.id !== me.id && (user.is_active
                  ? <button type="button" class="link danger-text" onClick={() => setActive(user, false)}>Deactivate</button>
                  : <button type="button" class="link" onClick={() => setActive(user, true)}>Activate</button>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
