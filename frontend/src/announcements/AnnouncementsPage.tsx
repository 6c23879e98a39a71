/** Announcements that rules play on cameras' speakers: the built-in "you are being recorded" chime and the short
 * sound files admins upload (each checked by the server: a sound, at most 30 s). Each can be listened to here. */

import { useEffect, useState } from "preact/hooks";
import { announcements } from "../api/endpoints";
import type { Announcement } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { Field, FormErrors } from "../components/Field";
import { readAsDataUrl } from "../components/fileData";
import { ErrorNote, Loading } from "../components/Notice";

export function AnnouncementsPage() {
  const canAdd = useCan(PERMISSION.manageAnnouncements);
  const [listed, setListed] = useState<Announcement[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => announcements.list().then(setListed, setError);
  useEffect(() => { void reload(); }, []);

  return (
    <section class="announcements-page">
      <div class="page-title">
        <h1>Announcements</h1>
        <span class="muted">Played on a camera's speaker when a rule fires (choose one in the rule)</span>
      </div>
      <ErrorNote error={error} title="The announcements could not be changed or loaded." />
      {!listed && !error && <Loading what="announcements" />}
      {listed && (
        <ul class="announcement-list">
          {listed.map((each) => (
            <li key={each.id} data-testid="announcement" data-announcement-id={each.id}>
              <span class="camera-name">{each.name}</span>
              <span class="muted small">{each.seconds.toFixed(1)} s{each.built_in ? ", built in" : ""}</span>
              <audio controls preload="none" src={each.sound_url} />
              {canAdd && !each.built_in && (
                <button type="button" onClick={() => announcements.remove(each.id).then(reload, setError)}>Delete</button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canAdd && <AnnouncementForm onSaved={reload} />}
    </section>
  );
}

function AnnouncementForm({ onSaved }: { onSaved: () => void }) {
  const [name, setName] = useState("");
  const [sound, setSound] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function pick(file: File | undefined) {
    setError(null);
    try {
      setSound(file ? await readAsDataUrl(file) : null);
    } catch (failure) {
      setError(failure);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await announcements.create({ name: name.trim(), sound: sound ?? "" });
      (event.target as HTMLFormElement).reset();
      setName("");
      setSound(null);
      onSaved();
    } catch (failure) {
      setError(failure);
    }
    setSaving(false);
  }

  return (
    <form class="card" onSubmit={save} data-testid="announcement-form">
      <h2>Upload an announcement</h2>
      <div class="field-row">
        <Field label="Announcement name" name="name" error={error} hint="E.g. Please leave the loading dock">
          <input name="announcement-name" required maxLength={120} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Sound file" name="sound" error={error} hint="WAV, MP3, Ogg, FLAC or AAC; at most 30 seconds and 10 MB.">
          <input name="sound" type="file" accept="audio/*" required onChange={(e) => pick(e.currentTarget.files?.[0])} />
        </Field>
      </div>
      <FormErrors error={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={saving}>{saving ? "Checking…" : "Upload announcement"}</button>
      </div>
    </form>
  );
}
