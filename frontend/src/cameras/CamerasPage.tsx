/** All cameras (and radars and I/O modules) the user may see, with their status pushed live; admins add, edit and
 * delete them here. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras as camerasApi } from "../api/endpoints";
import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { applyStatus, useCameraStatus, withNewerStatus, type ConnectionState } from "../realtime/cameraStatus";
import { CameraRow } from "./CameraRow";
import { DeleteCameraDialog } from "./DeleteCameraDialog";

const CONNECTION_WORDS: Record<ConnectionState, string> = {
  connecting: "Connecting to live status…",
  connected: "Status updates live",
  reconnecting: "Live status lost; reconnecting…",
  forbidden: "Live status is not available to your role",
};

export function CamerasPage() {
  const canAdd = useCan(PERMISSION.addCamera);
  const [list, setList] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<Camera | null>(null);

  const load = useCallback(async () => {
    try {
      const loaded = await camerasApi.list();
      setList((current) => withNewerStatus(loaded, current));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, []);

  useEffect(() => {
    load();
  }, [load]);

  const connection = useCameraStatus(
    list?.map((camera) => camera.id) ?? [],
    (data) => setList((current) => current?.map((camera) => (camera.id === data.camera ? applyStatus(camera, data) : camera)) ?? current),
    load,
  );

  return (
    <section class="cameras-page">
      <div class="page-title">
        <h1>Cameras</h1>
        {list && <span class="muted">{list.length} {list.length === 1 ? "camera" : "cameras"}</span>}
        <span class={`connection connection-${connection}`} data-testid="status-connection">{CONNECTION_WORDS[connection]}</span>
        <span class="spacer" />
        {canAdd && <a class="button" href="/cameras/new-radar">Add radar</a>}
        {canAdd && <a class="button" href="/cameras/new-io-module">Add I/O module</a>}
        {canAdd && <a class="button primary" href="/cameras/new">Add camera</a>}
      </div>
      <ErrorNote error={error} title="The cameras could not be loaded." />
      {!list && !error && <Loading what="cameras" />}
      {list && list.length === 0 && (
        <Empty>
          <h2>No cameras yet</h2>
          {canAdd
            ? <p><a href="/cameras/new">Add the first camera</a> by pasting its stream address or finding it on the network.</p>
            : <p>An administrator adds cameras and decides who may see them.</p>}
        </Empty>
      )}
      {list && list.length > 0 && (
        <table class="table">
          <thead>
            <tr><th>Camera</th><th>Status</th><th>Recording</th><th /></tr>
          </thead>
          <tbody>
            {list.map((camera) => <CameraRow key={camera.id} camera={camera} onDelete={setDeleting} />)}
          </tbody>
        </table>
      )}
      {deleting && (
        <DeleteCameraDialog camera={deleting} onCancel={() => setDeleting(null)}
          onDone={() => { setDeleting(null); load(); }} />
      )}
    </section>
  );
}
