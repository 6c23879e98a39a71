/**
 * Add or edit an I/O module: its name and its ONVIF service (host, port, login). It has no video: its digital inputs
 * come as its ONVIF events (rules on its own page act on them), and rules of any camera switch its relay outputs.
 */

import { useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera, CameraInput } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { Field, FormErrors } from "../components/Field";
import { LoginFields } from "./LoginFields";
import { OnvifAddressFields } from "./OnvifAddressFields";
import { useDeviceSave } from "./useDeviceSave";

export interface IoModuleDraft {
  name: string;
  onvif_host: string;
  onvif_port: string;
  username: string;
  /** Typed only to set a new one: the API never sends it back. */
  password: string;
}

export const EMPTY_IO_MODULE: IoModuleDraft = { name: "", onvif_host: "", onvif_port: "80", username: "", password: "" };

export function ioModuleDraftOf(module: Camera): IoModuleDraft {
  return {
    name: module.name,
    onvif_host: module.onvif_host,
    onvif_port: String(module.onvif_port),
    username: module.username,
    password: "",
  };
}

/** The password only when typed, so an edit keeps the stored one. */
function ioModuleInputOf(draft: IoModuleDraft): CameraInput {
  const input: CameraInput = {
    name: draft.name.trim(),
    onvif_host: draft.onvif_host.trim(),
    onvif_port: Number(draft.onvif_port),
    username: draft.username,
  };
  if (draft.password) input.password = draft.password;
  return input;
}

interface IoModuleFormProps {
  /** The I/O module being edited; absent when adding one. */
  module?: Camera;
  submitLabel: string;
  onSaved: (module: Camera) => void;
  onCancel: () => void;
}

export function IoModuleForm({ module, submitLabel, onSaved, onCancel }: IoModuleFormProps) {
  const canSeeEvents = useCan(PERMISSION.viewDeviceEvents);
  const [draft, setDraft] = useState<IoModuleDraft>(() => (module ? ioModuleDraftOf(module) : EMPTY_IO_MODULE));
  const set = <K extends keyof IoModuleDraft>(key: K, value: IoModuleDraft[K]) => setDraft({ ...draft, [key]: value });
  const { saving, error, form, submit } = useDeviceSave(() => {
    const input = ioModuleInputOf(draft);
    return module ? cameras.update(module.id, input) : cameras.create({ ...input, kind: "io_module" });
  }, onSaved);

  return (
    <form ref={form} class="camera-form" onSubmit={submit} data-testid="io-module-form">
      <fieldset class="card">
        <legend>I/O module</legend>
        <Field label="Name" name="name" error={error} hint="How operators know it, e.g. Gate I/O">
          <input name="name" required maxLength={120} value={draft.name} onInput={(e) => set("name", e.currentTarget.value)} />
        </Field>
      </fieldset>
      <fieldset class="card">
        <legend>Its inputs and outputs (ONVIF)</legend>
        <OnvifAddressFields host={draft.onvif_host} port={draft.onvif_port} example="192.168.1.30" required
          error={error} set={set} />
        <LoginFields username={draft.username} password={draft.password} hasPassword={!!module?.has_password}
          error={error} set={set} />
        <p class="field-hint">
          Its digital inputs come as its events: rules on its own page act on them. Rules of any camera may switch its
          relay outputs (a siren, a light, a door strike).
        </p>
        {module && module.live_status.state !== "online" && module.live_status.last_error && (
          <p class="status-error" data-testid="events-error">Its events: {module.live_status.last_error}</p>
        )}
        {module && (
          <p class="row-actions">
            <a href={`/cameras/${module.id}/analytics`}>Rules of this I/O module</a>
            {canSeeEvents && <a href={`/camera-events?camera=${module.id}`}>Events this I/O module reported</a>}
          </p>
        )}
      </fieldset>
      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : submitLabel}</button>
      </div>
    </form>
  );
}
