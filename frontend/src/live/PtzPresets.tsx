/** A PTZ camera's presets: go to one; and for those allowed to manage them, save where the camera looks now, rename
 * and delete (each audited by the server). */

import { useEffect, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import { messageOf } from "../api/http";
import type { PtzPreset } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import type { PtzSession } from "./usePtzControl";

export function PtzPresets({ camera, session }: { camera: number; session: PtzSession }) {
  const canManage = useCan(PERMISSION.managePtzPresets);
  const [presets, setPresets] = useState<PtzPreset[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState("");
  const [renaming, setRenaming] = useState<{ token: string; name: string } | null>(null);
  const [deleting, setDeleting] = useState<PtzPreset | null>(null);

  function load() {
    ptz.presets(camera).then((listed) => { setPresets(listed); setFailure(null); }, setFailure);
  }

  useEffect(load, [camera]);

  /** A command through the session (its refusal shown by the panel), then the list as the camera now has it. */
  async function change(command: () => Promise<unknown>, reload: boolean): Promise<boolean> {
    setBusy(true);
    try {
      const done = await session.run(command);
      if (done && reload) load();
      return done;
    } finally {
      setBusy(false);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    if (await change(() => ptz.savePreset(camera, name.trim()), true)) setName("");
  }

  async function rename(event: Event) {
    event.preventDefault();
    if (!renaming) return;
    const { token, name: newName } = renaming;
    if (await change(() => ptz.renamePreset(camera, token, newName.trim()), true)) setRenaming(null);
  }

  async function remove(preset: PtzPreset) {
    await change(() => ptz.deletePreset(camera, preset.token), true);
    setDeleting(null);
  }

  return (
    <div class="ptz-presets" data-testid="ptz-presets">
      <h3>Presets</h3>
      {failure !== null && <p class="status-error" role="alert">The presets could not be listed: {messageOf(failure)}</p>}
      {presets === null && failure === null && <p class="muted">Asking the camera for its presets…</p>}
      {presets?.length === 0 && <p class="muted">No presets yet.</p>}
      {presets && presets.length > 0 && (
        <ul class="ptz-preset-list">
          {presets.map((preset) => (
            <li key={preset.token} data-preset={preset.token}>
              {renaming?.token === preset.token ? (
                <form class="ptz-rename" onSubmit={rename}>
                  <input aria-label={`New name of ${preset.name}`} required maxLength={64} value={renaming.name}
                    onInput={(event) => setRenaming({ token: preset.token, name: event.currentTarget.value })} />
                  <button type="submit" disabled={busy || !renaming.name.trim()}>Rename</button>
                  <button type="button" onClick={() => setRenaming(null)}>Cancel</button>
                </form>
              ) : (
                <>
                  <span class="ptz-preset-name">{preset.name}</span>
                  <button type="button" disabled={busy} title={`Send the camera to ${preset.name}`}
                    onClick={() => change(() => ptz.goToPreset(camera, preset.token), false)}>Go</button>
                  {canManage && (
                    <>
                      <button type="button" class="link" disabled={busy}
                        onClick={() => setRenaming({ token: preset.token, name: preset.name })}>Rename</button>
                      <button type="button" class="link" disabled={busy} onClick={() => setDeleting(preset)}>Delete</button>
                    </>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && (
        <form class="ptz-save" onSubmit={save}>
          <input aria-label="Name of the new preset" placeholder="Name, e.g. Main gate" required maxLength={64}
            value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <button type="submit" disabled={busy || !name.trim()}>Save current position</button>
        </form>
      )}
      {deleting && (
        <ConfirmDialog title={`Delete the preset ${deleting.name}?`} confirmLabel="Delete preset" busy={busy}
          onConfirm={() => remove(deleting)} onCancel={() => setDeleting(null)}>
          The camera forgets it, for everyone who steers it.
        </ConfirmDialog>
      )}
    </div>
  );
}
