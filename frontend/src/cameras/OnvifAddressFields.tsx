/** Where a device's ONVIF service answers: its host and port. */

import { Field } from "../components/Field";

export function OnvifAddressFields({ host, port, example, required, error, set }: {
  host: string;
  port: string;
  /** An address like the device's, for the hint, e.g. 192.168.1.20. */
  example: string;
  required: boolean;
  error: unknown;
  set: (key: "onvif_host" | "onvif_port", value: string) => void;
}) {
  return (
    <div class="field-row">
      <Field label="ONVIF host" name="onvif_host" error={error}
        hint={`The device's address, without http:// or a port, e.g. ${example}`}>
        <input name="onvif_host" required={required} value={host} placeholder={example} spellcheck={false}
          onInput={(e) => set("onvif_host", e.currentTarget.value)} />
      </Field>
      <Field label="ONVIF port" name="onvif_port" error={error}>
        <input name="onvif_port" type="number" required min={1} max={65535} step={1} value={port}
          onInput={(e) => set("onvif_port", e.currentTarget.value)} />
      </Field>
    </div>
  );
}
