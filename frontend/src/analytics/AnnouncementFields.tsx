/** A rule may play a recorded announcement (or the built-in chime) on a camera's speaker when it fires: the rule's
 * own camera or another one with a speaker. Announcements are uploaded on the Announcements page. */

import { useEffect, useState } from "preact/hooks";
import { announcements } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { Announcement, Camera } from "../api/types";
import { Field } from "../components/Field";

interface AnnouncementFieldsProps {
  /** The rule's camera. */
  camera: number;
  /** The devices the user may see: those with a speaker may play it. */
  devices: Camera[];
  announcement: number | null;
  speaker: number | null;
  onChange: (change: { announcement: number | null; speaker: number | null }) => void;
  error: unknown;
}

export function AnnouncementFields({ camera, devices, announcement, speaker, onChange, error }: AnnouncementFieldsProps) {
  const [listed, setListed] = useState<Announcement[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  useEffect(() => { announcements.list().then(setListed, setFailure); }, []);

  const speakers = devices.filter((device) => device.speaker);
  if (!speakers.length && announcement === null) return null;
  const own = speakers.some((device) => device.id === camera);
  const chosenSpeaker = speaker ?? (own ? camera : null);
  return (
    <div class="field-row" data-testid="announcement">
      <Field label="Play an announcement" name="announcement" error={error}
        hint={failure ? messageOf(failure) : "Played on the camera's speaker when the rule fires."}>
        <select name="announcement" value={announcement === null ? "" : String(announcement)}
          onChange={(e) => {
            const chosen = e.currentTarget.value ? Number(e.currentTarget.value) : null;
            const first = own ? null : speakers[0]?.id ?? null;
            onChange({ announcement: chosen, speaker: chosen === null ? null : speaker ?? first });
          }}>
          <option value="">None</option>
          {listed.map((each) => <option value={String(each.id)}>{each.name} ({each.seconds.toFixed(1)} s)</option>)}
        </select>
      </Field>
      <Field label="On the speaker of" name="announcement_camera" error={error}>
        <select name="announcement_camera" value={chosenSpeaker === null ? "" : String(chosenSpeaker)} disabled={announcement === null}
          onChange={(e) => {
            const chosen = Number(e.currentTarget.value);
            onChange({ announcement, speaker: chosen === camera ? null : chosen });
          }}>
          {chosenSpeaker === null && <option value="">Choose a camera</option>}
          {speakers.map((each) => <option value={String(each.id)}>{each.id === camera ? `${each.name} (this camera)` : each.name}</option>)}
        </select>
      </Field>
    </div>
  );
}
