/** Which way a placed device looks, how wide and how far it sees, typed; and taking it off the plan. */

import { useState } from "preact/hooks";
import type { Camera } from "../api/types";
import { Field, FormErrors } from "../components/Field";

export interface Aim {
  plan_heading: number;
  plan_fov: number;
  plan_range_m: number;
}

interface DevicePlacementProps {
  device: Camera;
  busy: boolean;
  error: unknown;
  onSave: (aim: Aim) => void;
  onRemove: () => void;
}

export function DevicePlacement({ device, busy, error, onSave, onRemove }: DevicePlacementProps) {
  const [heading, setHeading] = useState(String(device.plan_heading));
  const [fov, setFov] = useState(String(device.plan_fov));
  const [range, setRange] = useState(String(device.plan_range_m));

  function save(event: Event) {
    event.preventDefault();
    onSave({ plan_heading: Number(heading), plan_fov: Number(fov), plan_range_m: Number(range) });
  }

  return (
    <form class="device-placement" onSubmit={save} data-testid="device-placement">
      <p class="muted small">Drag the device to move it, and the handle at the tip of its view to aim it.</p>
      <Field label="Heading (degrees)" name="plan_heading" error={error} hint="Where it looks: 0 up, 90 right, 180 down.">
        <input name="plan_heading" type="number" required min={0} max={360} step="any" value={heading}
          onInput={(e) => setHeading(e.currentTarget.value)} />
      </Field>
      <Field label="Field of view (degrees)" name="plan_fov" error={error}>
        <input name="plan_fov" type="number" required min={1} max={360} step="any" value={fov}
          onInput={(e) => setFov(e.currentTarget.value)} />
      </Field>
      <Field label="Range (metres)" name="plan_range_m" error={error}>
        <input name="plan_range_m" type="number" required min={0.5} max={5000} step="any" value={range}
          onInput={(e) => setRange(e.currentTarget.value)} />
      </Field>
      <FormErrors error={error} />
      <div class="actions">
        <button type="button" class="link danger-text" disabled={busy} onClick={onRemove}>Take off the plan</button>
        <span class="spacer" />
        <button type="submit" class="primary" disabled={busy}>{busy ? "Saving…" : "Save placement"}</button>
      </div>
    </form>
  );
}
