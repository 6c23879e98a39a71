/** Add a radar: its name and where it publishes its tracks; it is placed on a site plan afterwards. */

import { navigate } from "../app/router";
import { RadarForm } from "./RadarForm";

export function AddRadarPage() {
  return (
    <section class="narrow">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>Add radar</h1>
      </div>
      <RadarForm submitLabel="Save radar" onSaved={() => navigate("/cameras")} onCancel={() => navigate("/cameras")} />
    </section>
  );
}
