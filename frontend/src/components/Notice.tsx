/** Messages in a page: an error, an empty state, loading, and "not allowed". */

import type { ComponentChildren } from "preact";
import { messageOf } from "../api/http";

export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div class="notice notice-error" role="alert">
      {title && <strong>{title} </strong>}
      {messageOf(error)}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Loading({ what }: { what?: string }) {
  return <div class="loading" aria-busy="true">Loading{what ? ` ${what}` : ""}…</div>;
}

export function NotAllowed() {
  return (
    <div class="not-allowed" data-testid="not-allowed">
      <h1>Not allowed</h1>
      <p>Your role does not allow this page. Ask an administrator if you need it.</p>
    </div>
  );
}

export function NotFound() {
  return (
    <div class="not-allowed">
      <h1>No such page</h1>
      <p>Pick a page from the menu above.</p>
    </div>
  );
}
