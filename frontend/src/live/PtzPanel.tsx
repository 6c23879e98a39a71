/** Steering a PTZ camera beside its live picture: who has control (asked every few seconds), the joystick, home,
 * click to centre (and drag a box to zoom) on the picture, and the presets; why a command was refused. Only the
 * controls the camera has (its ptz_capabilities) are shown; tours with the presets. Nothing here waits for the video to play. */

import { ptz } from "../api/endpoints";
import type { Camera } from "../api/types";
import { controlWords, type PtzSession } from "./usePtzControl";
import { PtzJoystick } from "./PtzJoystick";
import { PtzPresets } from "./PtzPresets";
import { PtzTours } from "./PtzTours";

interface PtzPanelProps {
  camera: Camera;
  session: PtzSession;
  /** Click to centre is on. */
  centring: boolean;
  onCentring: (on: boolean) => void;
}

export function PtzPanel({ camera, session, centring, onCentring }: PtzPanelProps) {
  const can = (capability: Camera["ptz_capabilities"][number]) => camera.ptz_capabilities.includes(capability);
  const { control, refusal, run } = session;
  return (
    <aside class="card ptz-panel" data-testid="ptz-panel" aria-label="PTZ">
      <h2>PTZ</h2>
      {can("continuous") && <PtzJoystick camera={camera.id} session={session} />}
      <div class="ptz-actions">
        {can("home") && <button type="button" onClick={() => run(() => ptz.home(camera.id))}>Home</button>}
        {can("centre") && (
          <button type="button" aria-pressed={centring} onClick={() => onCentring(!centring)}
            title="Click the picture to centre that point; drag a box to zoom into it">Click to centre</button>
        )}
      </div>
      {centring && <p class="field-hint">Click the picture to centre that point, or drag a box to zoom into it.</p>}
      {/* Below the joystick: words that change while a button is held must not move it from under the pointer. */}
      <p class={`ptz-control${control?.yours ? " yours" : ""}`} data-testid="ptz-control" aria-live="polite">
        {controlWords(control)}
        {control?.yours && (
          <button type="button" class="link" onClick={() => run(() => ptz.handBack(camera.id))}>Hand back</button>
        )}
        {control && !control.yours && (
          <button type="button" class="link" title="Works when your role is above theirs"
            onClick={() => run(() => ptz.takeControl(camera.id))}>Take control</button>
        )}
      </p>
      {refusal && <p class="status-error" role="alert" data-testid="ptz-refusal">{refusal}</p>}
      {can("presets") && <PtzPresets camera={camera.id} session={session} />}
      {can("presets") && <PtzTours camera={camera.id} />}
    </aside>
  );
}
