/** A labelled form field with the API's messages about it underneath. */

import type { ComponentChildren } from "preact";
import { ApiError } from "../api/http";

/** The API's messages about a field, each a sentence ("camera with this name..." reads "Camera with this name..."). */
export function fieldErrors(error: unknown, field: string): string[] {
  const messages = error instanceof ApiError ? error.fieldErrors(field) : [];
  return messages.map((message) => message.charAt(0).toUpperCase() + message.slice(1));
}

function messagesIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(messagesIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(messagesIn);
  return [];
}

/** The API's messages about a field of several values (a list, a {name: value}), however deeply they sit. */
export function nestedFieldErrors(error: unknown, field: string): string[] {
  return error instanceof ApiError ? messagesIn(error.problem.errors?.[field]) : [];
}

/** After a failed save, put the cursor in the first field the API complained about. */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  const field = form?.querySelector<HTMLElement>(".field-invalid input, .field-invalid select");
  field?.focus();
}

interface FieldProps {
  label: string;
  /** The API's name of the field, to show its errors. */
  name?: string;
  error?: unknown;
  hint?: ComponentChildren;
  children: ComponentChildren;
  wide?: boolean;
}

export function Field({ label, name, error, hint, children, wide }: FieldProps) {
  const messages = name ? fieldErrors(error, name) : [];
  return (
    <label class={`field${wide ? " field-wide" : ""}${messages.length ? " field-invalid" : ""}`}>
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
      {messages.map((message) => (
        <span class="field-error" role="alert">{message}</span>
      ))}
    </label>
  );
}

/** The messages that belong to no one field ("Give either a user or a group"). */
export function FormErrors({ error }: { error: unknown }) {
  if (!error) return null;
  const general = fieldErrors(error, "non_field_errors");
  const detail = error instanceof ApiError ? error.problem.detail : String(error);
  const hasFieldErrors = error instanceof ApiError && Object.keys(error.problem.errors ?? {}).some((k) => k !== "non_field_errors");
  return (
    <div class="notice notice-error" role="alert">
      {general.length ? general.join(" ") : hasFieldErrors ? "Some fields need attention; see the messages under them." : detail}
    </div>
  );
}
