/** A camera's privacy masks: areas of its picture masked in the stream before it is recorded, shown or analysed. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras, privacyMasks } from "../api/endpoints";
import type { Camera, PrivacyMask } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { MaskEditor } from "./MaskEditor";

export function PrivacyMasksPage({ camera: id }: { camera: string }) {
  const cameraId = Number(id);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [masks, setMasks] = useState<PrivacyMask[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setMasks(await privacyMasks.list(cameraId));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [cameraId]);

  useEffect(() => {
    cameras.get(cameraId).then(setCamera, setError);
    load();
  }, [cameraId, load]);

  return (
    <section class="privacy-page">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>{camera ? `Privacy masks of ${camera.name}` : "Privacy masks"}</h1>
        <span class="spacer" />
        {camera && <a href={`/cameras/${camera.id}/edit`}>Camera settings</a>}
      </div>
      {camera && (
        <p class="muted">
          Masked parts of the picture are hidden in live video, recordings and exports alike
          {camera.keep_unmasked ? "; only the unmasked recording, for those allowed to see it, shows them." : ", and cannot be seen later."}
        </p>
      )}
      <ErrorNote error={error} title="The privacy masks could not be loaded." />
      {(!camera || !masks) && !error && <Loading what="privacy masks" />}
      {camera && masks && <MaskEditor camera={camera} masks={masks} onChanged={load} />}
    </section>
  );
}
