/** One camera (or radar) in the list: name, live status, recording settings, and what the user may do with it. A radar
 * has no video: no live view, recordings or privacy masks, and its zones and rules are on its site plan. */

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

function RadarActions({ radar }: { radar: Camera }) {
  const canChange = useCan(PERMISSION.changeCamera);
  const canPlans = useCan(PERMISSION.viewSitePlans);
  return (
    <>
      {canPlans && radar.site_plan !== null && <a href={`/site-plans/${radar.site_plan}?device=${radar.id}`}>On the site plan</a>}
      {canChange && <a href={`/cameras/${radar.id}/edit`}>Edit</a>}
    </>
  );
}

export function CameraRow({ camera, onDelete }: { camera: Camera; onDelete: (camera: Camera) => void }) {
  const canLive = useCan(PERMISSION.viewLive);
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const canChange = useCan(PERMISSION.changeCamera);
  const canDelete = useCan(PERMISSION.deleteCamera);
  const radar = camera.kind === "radar";
  return (
    <tr data-camera-id={camera.id} data-testid="camera-row" data-kind={camera.kind}>
      <td>
        <div class="camera-name">
          {camera.name}
          {radar && <span class="kind-badge" data-testid="radar-badge">Radar</span>}
        </div>
        {radar && camera.site_plan === null && <div class="muted small">Not on a site plan yet</div>}
        {!camera.enabled && <div class="muted small">Switched off</div>}
        {camera.rotation !== 0 && <div class="muted small">Rotated {camera.rotation}°</div>}
        {camera.thermal && <div class="muted small">Thermal</div>}
        {camera.analytics_enabled && !radar && <div class="muted small">Analysed</div>}
      </td>
      <td>
        <CameraStatus status={camera.live_status} eventsError={camera.listen_events ? camera.events_error : ""}
          analyticsNotice={camera.analytics_notice} />
      </td>
      <td>{radar ? "No video" : recordingSummary(camera)}</td>
      <td class="row-actions">
        {radar && <RadarActions radar={camera} />}
        {!radar && canLive && <a href={`/live/${camera.id}`}>Live</a>}
        {!radar && canRecordings && <a href={`/recordings/${camera.id}`}>Recordings</a>}
        {!radar && canChange && <a href={`/cameras/${camera.id}/edit`}>Edit</a>}
        {!radar && canChange && <a href={`/cameras/${camera.id}/analytics`}>Zones and rules</a>}
        {!radar && canChange && <a href={`/cameras/${camera.id}/privacy`}>Privacy masks</a>}
        {canDelete && <button type="button" class="link danger-text" onClick={() => onDelete(camera)}>Delete</button>}
      </td>
    </tr>
  );
}
