/** Add a user or change one: names, role, password, active. */

import { useEffect, useRef, useState } from "preact/hooks";
import { users } from "../api/endpoints";
import type { Role, User, UserInput } from "../api/types";
import { Field, focusFirstInvalid, FormErrors } from "../components/Field";

export const ROLES: Role[] = ["Admin", "Operator", "Investigator"];

const ROLE_WORDS: Record<Role, string> = {
  Admin: "Admin: everything, including cameras, users and the audit log",
  Operator: "Operator: live video and playback",
  Investigator: "Investigator: playback and clip download",
};

interface UserFormProps {
  user?: User;
  onSaved: (user: User) => void;
  onCancel: () => void;
}

export function UserForm({ user, onSaved, onCancel }: UserFormProps) {
  const [form, setForm] = useState<UserInput>({
    username: user?.username ?? "",
    first_name: user?.first_name ?? "",
    last_name: user?.last_name ?? "",
    email: user?.email ?? "",
    is_active: user?.is_active ?? true,
    role: user ? user.role : "Operator",
    password: "",
  });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const formElement = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(formElement.current), [error]);
  const set = <K extends keyof UserInput>(key: K, value: UserInput[K]) => setForm({ ...form, [key]: value });

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const input: Partial<UserInput> = { ...form };
    if (!input.password) delete input.password;
    try {
      onSaved(user ? await users.update(user.id, input) : await users.create(input as UserInput));
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  return (
    <form ref={formElement} class="card user-form" onSubmit={save} data-testid="user-form">
      <h2>{user ? `Change ${user.username}` : "Add user"}</h2>
      <FormErrors error={error} />
      <div class="field-row">
        <Field label="Username" name="username" error={error}>
          <input name="username" required autocomplete="off" value={form.username} onInput={(e) => set("username", e.currentTarget.value)} />
        </Field>
        <Field label="Role" name="role" error={error}>
          <select name="role" value={form.role ?? ""} onChange={(e) => set("role", (e.currentTarget.value || null) as Role | null)}>
            {ROLES.map((role) => <option value={role}>{ROLE_WORDS[role]}</option>)}
            <option value="">No role: cannot use the VMS</option>
          </select>
        </Field>
      </div>
      <div class="field-row">
        <Field label="First name" name="first_name" error={error}>
          <input name="first_name" value={form.first_name} onInput={(e) => set("first_name", e.currentTarget.value)} />
        </Field>
        <Field label="Last name" name="last_name" error={error}>
          <input name="last_name" value={form.last_name} onInput={(e) => set("last_name", e.currentTarget.value)} />
        </Field>
        <Field label="Email" name="email" error={error}>
          <input name="email" type="email" value={form.email} onInput={(e) => set("email", e.currentTarget.value)} />
        </Field>
      </div>
      <div class="field-row">
        <Field label={user ? "New password" : "Password"} name="password" error={error}
          hint={user ? "Leave empty to keep the current password." : "At least 10 characters, not a common one."}>
          <input name="password" type="password" autocomplete="new-password" required={!user} value={form.password}
            onInput={(e) => set("password", e.currentTarget.value)} />
        </Field>
        <label class="checkbox">
          <input type="checkbox" name="is_active" checked={form.is_active} onChange={(e) => set("is_active", e.currentTarget.checked)} />
          Active (may log in)
        </label>
      </div>
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : user ? "Save changes" : "Add user"}</button>
      </div>
    </form>
  );
}
