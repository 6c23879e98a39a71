/** Which relay output a rule switches: of which device (the rule's own, or another camera or I/O module with an ONVIF
 * host), and which of its outputs, picked from those the device lists over ONVIF, or typed when the device cannot be
 * asked (no ONVIF host, unreachable, wrong password). */

import { useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { Camera, DeviceKind, RelayOutput } from "../api/types";
import { KIND_NAME } from "../cameras/deviceKinds";
import { Field } from "../components/Field";

type Listing = { state: "asking" } | { state: "listed"; outputs: RelayOutput[] } | { state: "failed"; error: unknown };

/** The devices besides `own` whose relay outputs a rule may switch: cameras and I/O modules with an ONVIF host. */
export function relayDevicesOf(devices: Camera[], own: number): Camera[] {
  return devices.filter((device) => device.id !== own && device.onvif_host
    && (device.kind === "camera" || device.kind === "io_module"));
}

interface RelayDeviceFieldProps {
  /** The kind of the rule's own device. */
  ownKind: DeviceKind;
  /** The device whose output is switched; null: the rule's own. */
  value: number | null;
  /** What relayDevicesOf gives. */
  candidates: Camera[];
  /** Every device the user may see, to name a chosen one that is no longer a candidate. */
  devices: Camera[];
  onChange: (device: number | null) => void;
  error: unknown;
}

export function RelayDeviceField({ ownKind, value, candidates, devices, onChange, error }: RelayDeviceFieldProps) {
  // A rule keeps its device when it is no longer offered (its ONVIF host was removed, or the admin lost access to it).
  const gone = value !== null && !candidates.some((device) => device.id === value);
  const goneName = devices.find((device) => device.id === value)?.name ?? `Device ${value}`;
  return (
    <Field label="Relay output of" name="relay_device" error={error}>
      <select name="relay_device" value={value === null ? "" : String(value)}
        onChange={(e) => onChange(e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
        <option value="">This {KIND_NAME[ownKind]}</option>
        {candidates.map((device) => <option value={String(device.id)}>{device.name} ({KIND_NAME[device.kind]})</option>)}
        {gone && <option value={String(value)}>{goneName} (not available)</option>}
      </select>
    </Field>
  );
}

interface RelayOutputFieldProps {
  /** The device whose relay outputs are listed. */
  device: number;
  kind: DeviceKind;
  /** The output's ONVIF token; "" for none. */
  value: string;
  onChange: (token: string) => void;
  error: unknown;
}

export function RelayOutputField({ device, kind, value, onChange, error }: RelayOutputFieldProps) {
  const [listing, setListing] = useState<Listing>({ state: "asking" });
  const label = `Switch the ${KIND_NAME[kind]}'s relay output`;

  useEffect(() => {
    // The admin may pick another device before this one answers: only the last one asked is listed.
    let current = true;
    setListing({ state: "asking" });
    cameras.relayOutputs(device).then(
      (outputs) => current && setListing({ state: "listed", outputs }),
      (failure) => current && setListing({ state: "failed", error: failure }),
    );
    return () => { current = false; };
  }, [device]);

  if (listing.state === "failed") {
    return (
      <Field label={label} name="relay_output" error={error}
        hint={`${messageOf(listing.error)} Type the output's ONVIF token, e.g. AlarmOut_0. Empty: none.`}>
        <input name="relay_output" spellcheck={false} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
      </Field>
    );
  }
  const outputs = listing.state === "listed" ? listing.outputs : [];
  // The rule's output stays chosen while the device is asked, and when it no longer lists it, until the admin picks
  // another.
  const other = value && !outputs.some((output) => output.token === value);
  return (
    <Field label={label} name="relay_output" error={error}
      hint={listing.state === "asking"
        ? `Asking the ${KIND_NAME[kind]} for its relay outputs…`
        : "What is wired to it: a siren, a light, a door strike."}>
      <select name="relay_output" value={value} disabled={listing.state === "asking"}
        onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">None</option>
        {outputs.map((output) => <option value={output.token}>{output.token} ({output.mode})</option>)}
        {other && <option value={value}>{listing.state === "listed" ? `${value} (not listed by the ${KIND_NAME[kind]})` : value}</option>}
      </select>
    </Field>
  );
}
