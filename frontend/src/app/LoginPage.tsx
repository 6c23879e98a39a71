/** The login form; after a login the page the user asked for appears (the URL does not change). */

import { useState } from "preact/hooks";
import { auth } from "../api/endpoints";
import { Field, FormErrors } from "../components/Field";

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.login(username, password);
      onLoggedIn();
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <main class="center-page">
      <form class="login card" onSubmit={submit} data-testid="login-form">
        <h1>VMS</h1>
        <p class="muted">Log in to watch and manage your cameras.</p>
        <FormErrors error={error} />
        <Field label="Username" name="username" error={error}>
          <input name="username" autocomplete="username" required autofocus value={username}
            onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field label="Password" name="password" error={error}>
          <input name="password" type="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="primary" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
    </main>
  );
}
