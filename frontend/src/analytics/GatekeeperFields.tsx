/** Gatekeeper: a rule may send a PTZ camera to one of its presets and hold it there while the rule keeps firing, then
 * home after some seconds without a new event. The presets are asked from the chosen camera. A radar's rule may have
 * the camera follow its object instead (from where the camera stands on the radar's site plan). */

import { useEffect, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { Camera, PtzPreset } from "../api/types";
import { Field } from "../components/Field";

type Listing = { state: "none" } | { state: "asking" } | { state: "listed"; presets: PtzPreset[] }
  | { state: "failed"; error: unknown };

interface GatekeeperFieldsProps {
  /** The devices the user may see: the PTZ cameras among them may be sent. */
  devices: Camera[];
  camera: number | null;
  preset: string;
  holdSeconds: string;
  /** Whether it follows the object; undefined: the rule's device cannot tell where its objects are (not a radar). */
  follow?: boolean;
  onChange: (change: { camera?: number | null; preset?: string; holdSeconds?: string; follow?: boolean }) => void;
  error: unknown;
}

export function GatekeeperFields({ devices, camera, preset, holdSeconds, follow, onChange, error }: GatekeeperFieldsProps) {
  const ptzCameras = devices.filter((device) => device.ptz);
  const [listing, setListing] = useState<Listing>({ state: "none" });

  useEffect(() => {
    if (camera === null) {
      setListing({ state: "none" });
      return;
    }
    setListing({ state: "asking" });
    ptz.presets(camera).then(
      (presets) => setListing({ state: "listed", presets }),
      (failure) => setListing({ state: "failed", error: failure }),
    );
  }, [camera]);

  if (!ptzCameras.length && camera === null) return null;
  const presets = listing.state === "listed" ? listing.presets : [];
  const other = preset && !presets.some((each) => each.token === preset);
  return (
    <div class="field-row" data-testid="gatekeeper">
      <Field label="Send a PTZ camera" name="ptz_camera" error={error}
        hint={follow ? "Gatekeeper: it follows the object while the rule fires; its footage of the event is kept."
          : "Gatekeeper: it goes to the preset and stays there while the rule fires; its footage of the event is kept."}>
        <select name="ptz_camera" value={camera === null ? "" : String(camera)}
          onChange={(e) => onChange({ camera: e.currentTarget.value ? Number(e.currentTarget.value) : null, preset: "" })}>
          <option value="">None</option>
          {ptzCameras.map((each) => <option value={String(each.id)}>{each.name}</option>)}
        </select>
      </Field>
      {follow !== undefined && (
        <label class="checkbox">
          <input type="checkbox" name="ptz_follow" checked={follow} disabled={camera === null}
            onChange={(e) => onChange({ follow: e.currentTarget.checked, preset: "" })} />
          Follow the object (the camera placed on this radar's site plan)
        </label>
      )}
      {!follow && <Field label="To its preset" name="ptz_preset" error={error}
        hint={listing.state === "failed" ? messageOf(listing.error) : listing.state === "asking" ? "Asking the camera for its presets…" : undefined}>
        <select name="ptz_preset" value={preset} disabled={camera === null || listing.state === "asking"}
          onChange={(e) => onChange({ preset: e.currentTarget.value })}>
          <option value="">Choose a preset</option>
          {presets.map((each) => <option value={each.token}>{each.name}</option>)}
          {other && <option value={preset}>{preset} (not listed by the camera)</option>}
        </select>
      </Field>}
      <Field label="Home after (seconds without an event)" name="ptz_hold_seconds" error={error}>
        <input name="ptz_hold_seconds" type="number" required min={1} max={3600} step={1} value={holdSeconds}
          disabled={camera === null} onInput={(e) => onChange({ holdSeconds: e.currentTarget.value })} />
      </Field>
    </div>
  );
}
