/** The last switch of each of a camera's relay outputs that the rules switched: on, off or unknown, when, and why the
 * camera refused it. */

import type { Camera, RelayState } from "../api/types";
import { ago, dateTime } from "../components/format";

function stateWords(active: RelayState["active"]): string {
  if (active === null) return "Unknown";
  return active ? "On" : "Off";
}

/** Nothing for a camera without an ONVIF host, whose relay outputs cannot be switched. */
export function RelayOutputs({ camera }: { camera: Camera }) {
  const outputs = Object.entries(camera.relay_outputs);
  if (!outputs.length && !camera.onvif_host) return null;
  return (
    <section class="card" data-testid="relay-outputs">
      <h2>Relay outputs</h2>
      {outputs.length === 0 && <p class="muted">No relay output switched yet.</p>}
      {outputs.length > 0 && (
        <table class="table compact">
          <thead><tr><th>Output</th><th>State</th><th>Changed</th><th>Problem</th></tr></thead>
          <tbody>
            {outputs.map(([token, state]) => (
              <tr key={token} data-relay={token}>
                <td>{token}</td>
                <td>{stateWords(state.active)}</td>
                <td title={dateTime(state.changed_at)}>{ago(state.changed_at)}</td>
                <td class="status-error">{state.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
