/** A camera's (or an I/O module's) relay outputs: the last switch of each (on, off or unknown, when, and why the device
 * refused it), by a rule or by hand; and for users allowed to, a switch of each by hand: on, off, or on for a few
 * seconds (a pulse). */

import { useEffect, useRef, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { Camera, RelayLogicalState, RelayState } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { ago, dateTime } from "../components/format";
import { KIND_NAME } from "./deviceKinds";

const PULSE_SECONDS = 5;

type Listing = { state: "asking" } | { state: "listed"; tokens: string[] } | { state: "failed"; error: unknown };

function stateWords(state: RelayState | undefined): string {
  if (!state) return "Not switched yet";
  if (state.active === null) return "Unknown";
  return state.active ? "On" : "Off";
}

/** Nothing for a camera without an ONVIF host, whose relay outputs cannot be switched, or one that lists none. */
export function RelayOutputs({ camera }: { camera: Camera }) {
  const canSwitch = useCan(PERMISSION.switchRelay);
  const [states, setStates] = useState<Record<string, RelayState>>(camera.relay_outputs);
  const [listing, setListing] = useState<Listing | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [failures, setFailures] = useState<Record<string, unknown>>({});
  const refresh = useRef<number | undefined>(undefined);

  useEffect(() => setStates(camera.relay_outputs), [camera]);

  // Whoever may switch them sees every output the camera has, not only those switched before.
  useEffect(() => {
    if (!canSwitch || !camera.onvif_host) return;
    setListing({ state: "asking" });
    cameras.relayOutputs(camera.id).then(
      (outputs) => setListing({ state: "listed", tokens: outputs.map((output) => output.token) }),
      (error) => setListing({ state: "failed", error }),
    );
  }, [canSwitch, camera.id, camera.onvif_host]);

  useEffect(() => () => window.clearTimeout(refresh.current), []);

  async function switchTo(token: string, state: RelayLogicalState, seconds?: number) {
    setBusy(token);
    setFailures((known) => ({ ...known, [token]: null }));
    try {
      const { active, changed_at, error } = await cameras.switchRelay(camera.id, token, state, seconds);
      setStates((known) => ({ ...known, [token]: { active, changed_at, error } }));
      if (seconds) {
        // The server switches it off again when the pulse ends: show that once it has.
        window.clearTimeout(refresh.current);
        refresh.current = window.setTimeout(() => {
          cameras.get(camera.id).then((fresh) => setStates(fresh.relay_outputs), () => undefined);
        }, (seconds + 2) * 1000);
      }
    } catch (error) {
      setFailures((known) => ({ ...known, [token]: error }));
    } finally {
      setBusy(null);
    }
  }

  const listed = listing?.state === "listed" ? listing.tokens : [];
  const tokens = [...listed, ...Object.keys(states).filter((token) => !listed.includes(token))];
  // A device that lists no relay output has none: nothing to show.
  if (!tokens.length && (!camera.onvif_host || listing?.state === "listed")) return null;
  const device = `the ${KIND_NAME[camera.kind]}`;
  return (
    <section class="card" data-testid="relay-outputs">
      <h2>Relay outputs</h2>
      {listing?.state === "asking" && <p class="muted">Asking {device} for its relay outputs…</p>}
      {listing?.state === "failed" && (
        <p class="status-error">
          {device.charAt(0).toUpperCase() + device.slice(1)} could not be asked for its relay outputs: {messageOf(listing.error)}
        </p>
      )}
      {tokens.length === 0 && listing?.state !== "asking" && <p class="muted">No relay output switched yet.</p>}
      {tokens.length > 0 && (
        <table class="table compact">
          <thead>
            <tr>
              <th>Output</th><th>State</th><th>Changed</th><th>Problem</th>
              {canSwitch && <th>Switch by hand</th>}
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => {
              const state = states[token];
              const failure = failures[token];
              return (
                <tr key={token} data-relay={token}>
                  <td>{token}</td>
                  <td>{stateWords(state)}</td>
                  <td title={state ? dateTime(state.changed_at) : undefined}>{state ? ago(state.changed_at) : ""}</td>
                  <td class="status-error" role={failure ? "alert" : undefined}>
                    {failure ? messageOf(failure) : state?.error}
                  </td>
                  {canSwitch && (
                    <td class="relay-switch">
                      <span class="segmented">
                        <button type="button" aria-pressed={state?.active === true} disabled={busy !== null}
                          onClick={() => switchTo(token, "active")}>On</button>
                        <button type="button" aria-pressed={state?.active === false} disabled={busy !== null}
                          onClick={() => switchTo(token, "inactive")}>Off</button>
                      </span>
                      <button type="button" disabled={busy !== null} title={`On for ${PULSE_SECONDS} seconds, then off`}
                        onClick={() => switchTo(token, "active", PULSE_SECONDS)}>Pulse {PULSE_SECONDS} s</button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
