/** Add an I/O module: its name and its ONVIF service; its inputs are then its events, and rules switch its outputs. */

import { navigate } from "../app/router";
import { IoModuleForm } from "./IoModuleForm";

export function AddIoModulePage() {
  return (
    <section class="narrow">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>Add I/O module</h1>
      </div>
      <IoModuleForm submitLabel="Save I/O module" onSaved={() => navigate("/cameras")} onCancel={() => navigate("/cameras")} />
    </section>
  );
}
