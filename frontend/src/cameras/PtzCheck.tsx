/** "Check for PTZ": ask a saved camera over ONVIF (its saved host and login) whether it has PTZ, and say what it can
 * do; the server keeps the answer on the camera, which shows the PTZ controls on its live view from then on. */

import { useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { Camera, PtzCapability } from "../api/types";

const CAPABILITY_WORDS: Record<PtzCapability, string> = {
  continuous: "joystick",
  absolute: "positions",
  relative: "relative moves",
  centre: "click to centre",
  home: "home",
  presets: "presets",
};

type Check = { state: "idle" } | { state: "asking" } | { state: "done"; camera: Camera } | { state: "failed"; error: unknown };

/** `changed`: the ONVIF host or port in the form differ from the saved ones, which are what the server asks. */
export function PtzCheck({ camera, changed }: { camera: Camera; changed: boolean }) {
  const [check, setCheck] = useState<Check>({ state: "idle" });

  async function ask() {
    setCheck({ state: "asking" });
    try {
      setCheck({ state: "done", camera: await ptz.detect(camera.id) });
    } catch (error) {
      setCheck({ state: "failed", error });
    }
  }

  const known = check.state === "done" ? check.camera : camera;
  return (
    <div class="ptz-check" data-testid="ptz-check">
      <button type="button" disabled={check.state === "asking" || changed} onClick={ask}
        title={changed ? "Save the new ONVIF host first: the saved one is asked" : undefined}>Check for PTZ</button>
      {check.state === "idle" && (
        <span class="muted">{changed ? "Save the changes first: the saved ONVIF host is asked." : known.ptz
          ? `PTZ camera (${known.ptz_capabilities.map((c) => CAPABILITY_WORDS[c]).join(", ")}).`
          : "Not known as a PTZ camera."}</span>
      )}
      {check.state === "asking" && <span class="muted" data-state="asking">Asking the camera…</span>}
      {check.state === "done" && (
        <span data-state={known.ptz ? "ptz" : "none"} role="status">
          {known.ptz
            ? `The camera has PTZ: ${known.ptz_capabilities.map((c) => CAPABILITY_WORDS[c]).join(", ")}. Its live view shows the controls.`
            : "The camera has no PTZ."}
        </span>
      )}
      {check.state === "failed" && (
        <span class="status-error" role="alert" data-state="failed">
          The camera could not be asked: {messageOf(check.error)}
        </span>
      )}
    </div>
  );
}
