/** The username and password a device is logged in to with; the password is write-only (the API says only whether
 * one is saved). */

import { Field } from "../components/Field";

export function LoginFields({ username, password, hasPassword, error, set }: {
  username: string;
  password: string;
  hasPassword: boolean;
  error: unknown;
  set: (key: "username" | "password", value: string) => void;
}) {
  return (
    <div class="field-row">
      <Field label="Username" name="username" error={error}>
        <input name="username" autocomplete="off" value={username} onInput={(e) => set("username", e.currentTarget.value)} />
      </Field>
      <Field label="Password" name="password" error={error}
        hint={hasPassword ? "Leave empty to keep the saved password." : undefined}>
        <input name="password" type="password" autocomplete="new-password" value={password}
          placeholder={hasPassword ? "••••••••" : ""} onInput={(e) => set("password", e.currentTarget.value)} />
      </Field>
    </div>
  );
}
