/** One camera live, as large as the screen allows; unmasked, with a reason, for those allowed to see it so; and its
 * relay outputs, for those allowed to switch them. */

import { useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { RelayOutputs } from "../cameras/RelayOutputs";
import { ErrorNote, Loading } from "../components/Notice";
import { UnmaskedSwitch } from "../privacy/UnmaskedSwitch";
import { LiveTile } from "./LiveTile";

export function LiveCameraPage({ camera: id }: { camera: string }) {
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const canSwitchRelays = useCan(PERMISSION.switchRelay);
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
      {camera && (
        <div class="live-grid single" style={{ "--columns": "1" }}>
          <LiveTile cameraId={camera.id} name={camera.name} rotation={camera.rotation} analytics={camera.analytics_enabled}
            unmasked={unmasked} />
        </div>
      )}
      {camera && canSwitchRelays && <RelayOutputs camera={camera} />}
    </section>
  );
}
