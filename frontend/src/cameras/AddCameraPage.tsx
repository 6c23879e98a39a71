/** Add a camera: paste its stream address or find it with ONVIF, check the stream, name it, save. */

import { useState } from "preact/hooks";
import { navigate } from "../app/router";
import { CameraForm } from "./CameraForm";
import { EMPTY_DRAFT, type CameraDraft } from "./cameraDraft";
import { OnvifFinder, type PickedStreams } from "./OnvifFinder";

type Source = "url" | "onvif";

export function AddCameraPage() {
  const [source, setSource] = useState<Source>("url");
  const [draft, setDraft] = useState<CameraDraft>(EMPTY_DRAFT);
  // A new form after ONVIF fills it, so the stream check of the old address goes away.
  const [formKey, setFormKey] = useState(0);

  function usePicked(picked: PickedStreams) {
    setDraft({ ...draft, ...picked, name: draft.name || picked.name });
    setFormKey(formKey + 1);
    setSource("url");
  }

  return (
    <section class="narrow">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>Add camera</h1>
      </div>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={source === "url"} onClick={() => setSource("url")}>Stream address</button>
        <button type="button" role="tab" aria-selected={source === "onvif"} onClick={() => setSource("onvif")}>Find on the network (ONVIF)</button>
      </div>
      {source === "onvif" && <div class="card"><OnvifFinder onPick={usePicked} /></div>}
      {source === "url" && (
        <CameraForm key={formKey} draft={draft} onChange={setDraft} submitLabel="Save camera"
          onSaved={() => navigate("/cameras")} onCancel={() => navigate("/cameras")} />
      )}
    </section>
  );
}
