/** Which of the camera's relay outputs a rule switches: picked from those the camera lists over ONVIF, or typed when
 * the camera cannot be asked (no ONVIF host, unreachable, wrong password). */

import { useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { RelayOutput } from "../api/types";
import { Field } from "../components/Field";

const LABEL = "Switch the camera's relay output";

type Listing = { state: "asking" } | { state: "listed"; outputs: RelayOutput[] } | { state: "failed"; error: unknown };

interface RelayOutputFieldProps {
  camera: number;
  /** The output's ONVIF token; "" for none. */
  value: string;
  onChange: (token: string) => void;
  error: unknown;
}

export function RelayOutputField({ camera, value, onChange, error }: RelayOutputFieldProps) {
  const [listing, setListing] = useState<Listing>({ state: "asking" });

  useEffect(() => {
    setListing({ state: "asking" });
    cameras.relayOutputs(camera).then(
      (outputs) => setListing({ state: "listed", outputs }),
      (failure) => setListing({ state: "failed", error: failure }),
    );
  }, [camera]);

  if (listing.state === "failed") {
    return (
      <Field label={LABEL} name="relay_output" error={error}
        hint={`${messageOf(listing.error)} Type the output's ONVIF token, e.g. AlarmOut_0. Empty: none.`}>
        <input name="relay_output" spellcheck={false} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
      </Field>
    );
  }
  const outputs = listing.state === "listed" ? listing.outputs : [];
  // The rule's output stays chosen while the camera is asked, and when it no longer lists it, until the admin picks
  // another.
  const other = value && !outputs.some((output) => output.token === value);
  return (
    <Field label={LABEL} name="relay_output" error={error}
      hint={listing.state === "asking" ? "Asking the camera for its relay outputs…" : "What is wired to it: a siren, a light, a door strike."}>
      <select name="relay_output" value={value} disabled={listing.state === "asking"}
        onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">None</option>
        {outputs.map((output) => <option value={output.token}>{output.token} ({output.mode})</option>)}
        {other && <option value={value}>{listing.state === "listed" ? `${value} (not listed by the camera)` : value}</option>}
      </select>
    </Field>
  );
}
