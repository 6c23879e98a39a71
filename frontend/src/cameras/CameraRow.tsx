/** One camera (or radar, or I/O module) in the list: name, live status, recording settings, and what the user may do
 * with it. A radar and an I/O module have no video: no live view, recordings or privacy masks. A radar's zones and
 * rules are on its site plan; an I/O module's rules (on its inputs) are on its own page, and its status is whether its
 * events are heard. */

import type { Camera } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { CameraStatus } from "./CameraStatus";
import { KIND_BADGE } from "./deviceKinds";

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

function IoModuleActions({ module }: { module: Camera }) {
  const canChange = useCan(PERMISSION.changeCamera);
  return (
    <>
      {canChange && <a href={`/cameras/${module.id}/edit`}>Edit</a>}
      {canChange && <a href={`/cameras/${module.id}/analytics`}>Rules</a>}
    </>
  );
}

export function CameraRow({ camera, onDelete }: { camera: Camera; onDelete: (camera: Camera) => void }) {
  const canLive = useCan(PERMISSION.viewLive);
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const canChange = useCan(PERMISSION.changeCamera);
  const canDelete = useCan(PERMISSION.deleteCamera);
  const radar = camera.kind === "radar";
  const ioModule = camera.kind === "io_module";
  const video = camera.kind === "camera";
  return (
    <tr data-camera-id={camera.id} data-testid="camera-row" data-kind={camera.kind}>
      <td>
        <div class="camera-name">
          {camera.name}
          {!video && (
            <span class="kind-badge" data-testid={radar ? "radar-badge" : "io-module-badge"}>{KIND_BADGE[camera.kind]}</span>
          )}
        </div>
        {radar && camera.site_plan === null && <div class="muted small">Not on a site plan yet</div>}
        {!camera.enabled && <div class="muted small">Switched off</div>}
        {camera.rotation !== 0 && <div class="muted small">Rotated {camera.rotation}°</div>}
        {camera.thermal && <div class="muted small">Thermal</div>}
        {camera.analytics_enabled && video && <div class="muted small">Analysed</div>}
      </td>
      <td>
        {/* An I/O module's status already says why its events are not heard. */}
        <CameraStatus status={camera.live_status} eventsError={camera.listen_events && !ioModule ? camera.events_error : ""}
          analyticsNotice={camera.analytics_notice} />
      </td>
      <td>{video ? recordingSummary(camera) : "No video"}</td>
      <td class="row-actions">
        {radar && <RadarActions radar={camera} />}
        {ioModule && <IoModuleActions module={camera} />}
        {video && canLive && <a href={`/live/${camera.id}`}>Live</a>}
        {video && canRecordings && <a href={`/recordings/${camera.id}`}>Recordings</a>}
        {video && canChange && <a href={`/cameras/${camera.id}/edit`}>Edit</a>}
        {video && canChange && <a href={`/cameras/${camera.id}/analytics`}>Zones and rules</a>}
        {video && canChange && <a href={`/cameras/${camera.id}/privacy`}>Privacy masks</a>}
        {canDelete && <button type="button" class="link danger-text" onClick={() => onDelete(camera)}>Delete</button>}
      </td>
    </tr>
  );
}
