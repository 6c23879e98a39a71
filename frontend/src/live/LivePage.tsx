/** The live wall: a grid of cameras filling the screen; the layout is the user's own and follows them. */

import { useEffect, useMemo, useState } from "preact/hooks";
import { cameras as camerasApi } from "../api/endpoints";
import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { navigate } from "../app/router";
import { useCan } from "../app/session";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { CellCameraPicker } from "./CellCameraPicker";
import { GridSizePicker } from "./GridSizePicker";
import { columnsOf, useLiveLayout } from "./liveLayout";
import { LiveTile } from "./LiveTile";

export function LivePage() {
  const canAdd = useCan(PERMISSION.addCamera);
  const canTalk = useCan(PERMISSION.talk);
  const [list, setList] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    // Radars have no video to show.
    camerasApi.list().then((found) => setList(found.filter((camera) => camera.kind === "camera")), setError);
  }, []);

  const ids = useMemo(() => list?.map((camera) => camera.id) ?? null, [list]);
  const { layout, error: layoutError, setGrid, setCell } = useLiveLayout(ids);
  const byId = useMemo(() => new Map(list?.map((camera) => [camera.id, camera])), [list]);

  if (error) return <ErrorNote error={error} title="The cameras could not be loaded." />;
  if (!list || !layout) return <Loading what="live view" />;
  if (!list.length) {
    return (
      <Empty>
        <h2>No cameras yet</h2>
        <p>{canAdd ? <a href="/cameras/new">Add a camera</a> : "An administrator adds cameras and decides who may see them."}</p>
      </Empty>
    );
  }

  const columns = columnsOf(layout.grid);
  const cells = layout.cameras.slice(0, layout.grid);
  return (
    <section class="live-page">
      <div class="toolbar">
        <GridSizePicker grid={layout.grid} onChange={setGrid} />
        <button type="button" aria-pressed={editing} onClick={() => setEditing(!editing)}>
          {editing ? "Done" : "Choose cameras"}
        </button>
        {layoutError ? <span class="muted small">The layout could not be saved; it applies to this screen only.</span> : null}
      </div>
      <div class="live-grid" style={{ "--columns": String(columns) }} data-grid={layout.grid}>
        {cells.map((id, index) => {
          const camera = id === null ? undefined : byId.get(id);
          const picker = <CellCameraPicker index={index} cameras={list} value={camera?.id ?? null} onChange={(value) => setCell(index, value)} />;
          if (!camera) {
            return <div class="tile tile-empty" data-cell={index}>{picker}<span class="muted">Choose a camera for this place</span></div>;
          }
          return (
            <LiveTile key={`${index}-${camera.id}`} cameraId={camera.id} name={camera.name} rotation={camera.rotation}
              analytics={camera.analytics_enabled} talk={canTalk && Boolean(camera.speaker)}
              onOpen={editing ? undefined : () => navigate(`/live/${camera.id}`)}>
              {editing && picker}
            </LiveTile>
          );
        })}
      </div>
    </section>
  );
}
