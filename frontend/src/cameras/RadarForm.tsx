/**
 * Add or edit a radar: its name and where it publishes its tracks (MQTT broker, login, topic). A radar has no video:
 * the server analyses what it reports, and it is placed on a site plan afterwards (the plan's page).
 */

import { useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera, CameraInput } from "../api/types";
import { Field, FormErrors } from "../components/Field";
import { MqttFields } from "./MqttFields";
import { useDeviceSave } from "./useDeviceSave";

export interface RadarDraft {
  name: string;
  metadata_broker: string;
  metadata_username: string;
  /** Typed only to set a new one: the API never sends it back. */
  metadata_password: string;
  metadata_topic: string;
  track_topic: string;
}

export const EMPTY_RADAR: RadarDraft = {
  name: "", metadata_broker: "", metadata_username: "", metadata_password: "", metadata_topic: "", track_topic: "",
};

export function radarDraftOf(radar: Camera): RadarDraft {
  return {
    name: radar.name,
    metadata_broker: radar.metadata_broker,
    metadata_username: radar.metadata_username,
    metadata_password: "",
    metadata_topic: radar.metadata_topic,
    track_topic: radar.track_topic,
  };
}

/** The password only when typed, so an edit keeps the stored one. */
function radarInputOf(draft: RadarDraft): CameraInput {
  const input: CameraInput = {
    name: draft.name.trim(),
    metadata_broker: draft.metadata_broker.trim(),
    metadata_username: draft.metadata_username,
    metadata_topic: draft.metadata_topic.trim(),
    track_topic: draft.track_topic.trim(),
  };
  if (draft.metadata_password) input.metadata_password = draft.metadata_password;
  return input;
}

interface RadarFormProps {
  /** The radar being edited; absent when adding one. */
  radar?: Camera;
  submitLabel: string;
  onSaved: (radar: Camera) => void;
  onCancel: () => void;
}

export function RadarForm({ radar, submitLabel, onSaved, onCancel }: RadarFormProps) {
  const [draft, setDraft] = useState<RadarDraft>(() => (radar ? radarDraftOf(radar) : EMPTY_RADAR));
  const set = <K extends keyof RadarDraft>(key: K, value: RadarDraft[K]) => setDraft({ ...draft, [key]: value });
  const { saving, error, form, submit } = useDeviceSave(() => {
    const input = radarInputOf(draft);
    return radar ? cameras.update(radar.id, input) : cameras.create({ ...input, kind: "radar" });
  }, onSaved);

  return (
    <form ref={form} class="camera-form" onSubmit={submit} data-testid="radar-form">
      <fieldset class="card">
        <legend>Radar</legend>
        <Field label="Name" name="name" error={error} hint="How operators know it, e.g. Car park radar">
          <input name="name" required maxLength={120} value={draft.name} onInput={(e) => set("name", e.currentTarget.value)} />
        </Field>
      </fieldset>
      <fieldset class="card">
        <legend>Its tracks (MQTT)</legend>
        <MqttFields values={draft} set={set} error={error} hasPassword={!!radar?.has_metadata_password}
          topicHint="The MQTT topic the radar publishes its tracks on, e.g. axis/B8A44F000000/radar/frame" />
        {radar?.live_status.analytics_error && (
          <p class="status-error" data-testid="analytics-error">Analytics: {radar.live_status.analytics_error}</p>
        )}
        <p class="field-hint">
          {radar?.site_plan
            ? <a href={`/site-plans/${radar.site_plan}?device=${radar.id}`}>Its place, zones and rules on the site plan</a>
            : <>Then place it on a <a href="/site-plans">site plan</a>: its objects, zones and rules are positions on the plan.</>}
        </p>
      </fieldset>
      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : submitLabel}</button>
      </div>
    </form>
  );
}
