/**
 * Where a device publishes over MQTT: broker, login, and the topics of its frames and of its tracks' summaries. A camera's scene metadata and a radar's tracks are
 * set the same way; the password is write-only (the API says only whether one is saved).
 */

import { Field } from "../components/Field";

export interface MqttSettings {
  metadata_broker: string;
  metadata_username: string;
  metadata_password: string;
  metadata_topic: string;
  track_topic: string;
}

export function MqttFields({ values, set, error, hasPassword, topicHint }: {
  values: MqttSettings;
  set: (key: keyof MqttSettings, value: string) => void;
  error: unknown;
  hasPassword: boolean;
  topicHint: string;
}) {
  return (
    <>
      <Field label="Broker" name="metadata_broker" error={error} wide
        hint="mqtt://host:port, or mqtts://host:port for an encrypted connection.">
        <input name="metadata_broker" value={values.metadata_broker} spellcheck={false}
          placeholder="mqtt://broker:1883 — empty: the site's broker"
          onInput={(e) => set("metadata_broker", e.currentTarget.value)} />
      </Field>
      <div class="field-row">
        <Field label="Username" name="metadata_username" error={error}>
          <input name="metadata_username" autocomplete="off" value={values.metadata_username}
            onInput={(e) => set("metadata_username", e.currentTarget.value)} />
        </Field>
        <Field label="Password" name="metadata_password" error={error}
          hint={hasPassword ? "Leave empty to keep the saved password." : undefined}>
          <input name="metadata_password" type="password" autocomplete="new-password" value={values.metadata_password}
            placeholder={hasPassword ? "••••••••" : ""}
            onInput={(e) => set("metadata_password", e.currentTarget.value)} />
        </Field>
      </div>
      <Field label="Topic" name="metadata_topic" error={error} wide hint={topicHint}>
        <input name="metadata_topic" value={values.metadata_topic} spellcheck={false}
          onInput={(e) => set("metadata_topic", e.currentTarget.value)} />
      </Field>
      <Field label="Summaries of ended tracks" name="track_topic" error={error} wide
        hint="Its own MQTT channel for a summary of each track as it ends (AXIS object track), kept to search what passed.">
        <input name="track_topic" value={values.track_topic} spellcheck={false} placeholder="Empty: none"
          onInput={(e) => set("track_topic", e.currentTarget.value)} />
      </Field>
    </>
  );
}
