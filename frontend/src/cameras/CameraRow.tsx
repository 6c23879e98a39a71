/** One camera in the list: name, live status, recording settings, and what the user may do with it. */

import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { CameraStatus } from "./CameraStatus";

function recordingSummary(camera: Camera): string {
  if (camera.recording_mode === "off") return "Not recording";
  const keep = [
    camera.retention_days ? `${camera.retention_days} days` : "",
    camera.retention_gib ? `${camera.retention_gib} GiB` : "",
  ].filter(Boolean).join(" or ");
  const mode = camera.recording_mode === "events" ? "On events" : "Continuous";
  return keep ? `${mode}, kept ${keep}` : `${mode}, kept until the disk fills`;
}

export function CameraRow({ camera, onDelete }: { camera: Camera; onDelete: (camera: Camera) => void }) {
  const canLive = useCan(PERMISSION.viewLive);
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const canChange = useCan(PERMISSION.changeCamera);
  const canDelete = useCan(PERMISSION.deleteCamera);
  return (
    <tr data-camera-id={camera.id} data-testid="camera-row">
      <td>
        <div class="camera-name">{camera.name}</div>
        {!camera.enabled && <div class="muted small">Switched off</div>}
        {camera.rotation !== 0 && <div class="muted small">Rotated {camera.rotation}°</div>}
        {camera.thermal && <div class="muted small">Thermal</div>}
        {camera.analytics_enabled && <div class="muted small">Analysed</div>}
      </td>
      <td>
        <CameraStatus status={camera.live_status} eventsError={camera.listen_events ? camera.events_error : ""}
          analyticsNotice={camera.analytics_notice} />
      </td>
      <td>{recordingSummary(camera)}</td>
      <td class="row-actions">
        {canLive && <a href={`/live/${camera.id}`}>Live</a>}
        {canRecordings && <a href={`/recordings/${camera.id}`}>Recordings</a>}
        {canChange && <a href={`/cameras/${camera.id}/edit`}>Edit</a>}
        {canChange && <a href={`/cameras/${camera.id}/analytics`}>Zones and rules</a>}
        {canChange && <a href={`/cameras/${camera.id}/privacy`}>Privacy masks</a>}
        {canDelete && <button type="button" class="link danger-text" onClick={() => onDelete(camera)}>Delete</button>}
      </td>
    </tr>
  );
}
