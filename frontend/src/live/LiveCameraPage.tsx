/** One camera live, as large as the screen allows; unmasked, with a reason, for those allowed to see it so; beside it
 * the PTZ controls of a PTZ camera, for those allowed to steer it; and its relay outputs, for those allowed to switch
 * them. Push to talk on a camera with a speaker, for those allowed to talk. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras, ptz } from "../api/endpoints";
import type { Camera, PtzCentre } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { RelayOutputs } from "../cameras/RelayOutputs";
import { ErrorNote, Loading } from "../components/Notice";
import { UnmaskedSwitch } from "../privacy/UnmaskedSwitch";
import { LiveTile } from "./LiveTile";
import { PtzPanel } from "./PtzPanel";
import { usePtzControl } from "./usePtzControl";

export function LiveCameraPage({ camera: id }: { camera: string }) {
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unmasked, setUnmasked] = useState<string | null>(null);

  useEffect(() => {
    cameras.get(Number(id)).then(setCamera, setError);
  }, [id]);

  return (
    <section class="live-page">
      <div class="toolbar">
        <a href="/live" class="back">← All cameras</a>
        <h1 class="inline">{camera?.name ?? "Camera"}</h1>
        <span class="spacer" />
        {camera && <UnmaskedSwitch camera={camera} token={unmasked} onToken={setUnmasked} />}
        {camera && canRecordings && <a href={`/recordings/${camera.id}`}>Recordings of this camera</a>}
      </div>
      <ErrorNote error={error} title="This camera cannot be shown." />
      {!camera && !error && <Loading what="the camera" />}
      {camera && <LiveCamera key={camera.id} camera={camera} unmasked={unmasked} />}
    </section>
  );
}

function LiveCamera({ camera, unmasked }: { camera: Camera; unmasked: string | null }) {
  const canSwitchRelays = useCan(PERMISSION.switchRelay);
  const talks = useCan(PERMISSION.talk) && Boolean(camera.speaker);
  const steers = useCan(PERMISSION.controlPtz) && camera.ptz;
  const session = usePtzControl(camera.id, steers);
  const [centring, setCentring] = useState(false);
  const { run } = session;
  const centre = useCallback((target: PtzCentre) => { void run(() => ptz.centre(camera.id, target)); }, [camera.id, run]);
  const centres = steers && centring && camera.ptz_capabilities.includes("centre");

  return (
    <>
      <div class={steers ? "live-body with-ptz" : "live-body"}>
        <div class="live-grid single" style={{ "--columns": "1" }}>
          <LiveTile cameraId={camera.id} name={camera.name} rotation={camera.rotation} analytics={camera.analytics_enabled}
            unmasked={unmasked} onCentre={centres ? centre : undefined} talk={talks} />
        </div>
        {steers && <PtzPanel camera={camera} session={session} centring={centring} onCentring={setCentring} />}
      </div>
      {canSwitchRelays && <RelayOutputs camera={camera} />}
    </>
  );
}
