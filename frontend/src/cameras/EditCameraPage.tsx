/** Change a camera's settings, and see (and switch) its relay outputs; or an I/O module's (its form, and its relay
 * outputs), or a radar's (the radar form). */

import { useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import { navigate } from "../app/router";
import { ErrorNote, Loading } from "../components/Notice";
import { CameraForm } from "./CameraForm";
import { IoModuleForm } from "./IoModuleForm";
import { RadarForm } from "./RadarForm";
import { draftOf, type CameraDraft } from "./cameraDraft";
import { RelayOutputs } from "./RelayOutputs";

export function EditCameraPage({ camera: id }: { camera: string }) {
  const [camera, setCamera] = useState<Camera | null>(null);
  const [draft, setDraft] = useState<CameraDraft | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    cameras.get(Number(id)).then((found) => { setCamera(found); setDraft(draftOf(found)); }, setError);
  }, [id]);

  return (
    <section class="narrow">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>{camera ? `Edit ${camera.name}` : "Edit device"}</h1>
      </div>
      <ErrorNote error={error} title="The camera could not be loaded." />
      {!camera && !error && <Loading what="the camera" />}
      {camera?.kind === "radar" && (
        <RadarForm radar={camera} submitLabel="Save changes" onSaved={() => navigate("/cameras")}
          onCancel={() => navigate("/cameras")} />
      )}
      {camera?.kind === "camera" && draft && (
        <CameraForm camera={camera} draft={draft} onChange={setDraft} submitLabel="Save changes"
          onSaved={() => navigate("/cameras")} onCancel={() => navigate("/cameras")} />
      )}
      {camera?.kind === "io_module" && (
        <IoModuleForm module={camera} submitLabel="Save changes" onSaved={() => navigate("/cameras")}
          onCancel={() => navigate("/cameras")} />
      )}
      {camera && camera.kind !== "radar" && <RelayOutputs camera={camera} />}
    </section>
  );
}
