/** What a camera's analytics watch: its zones and lines on its picture, its rules, and what its zones counted. An I/O
 * module has no picture: only its rules, on what it reports itself (its digital inputs). */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras, rules as rulesApi, zones as zonesApi } from "../api/endpoints";
import type { Camera, Rule, Zone } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { CountsChart } from "./CountsChart";
import { RulesSection } from "./RulesSection";
import { CameraZoneEditor } from "./ZoneEditor";

export function CameraAnalyticsPage({ camera: id }: { camera: string }) {
  const cameraId = Number(id);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [zones, setZones] = useState<Zone[] | null>(null);
  const [rules, setRules] = useState<Rule[] | null>(null);
  // Whose relay outputs a rule may switch, and the cameras an I/O module's rules may record; without them a rule
  // switches only its own device's outputs.
  const [devices, setDevices] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);

  // Zones and rules load together: deleting a zone may change the rules that watched it.
  const load = useCallback(async () => {
    try {
      const [foundZones, foundRules] = await Promise.all([zonesApi.list(cameraId), rulesApi.list(cameraId)]);
      setZones(foundZones);
      setRules(foundRules);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [cameraId]);

  useEffect(() => {
    cameras.get(cameraId).then(setCamera, setError);
    cameras.list().then(setDevices, () => setDevices([]));
    load();
  }, [cameraId, load]);

  const ioModule = camera?.kind === "io_module";
  return (
    <section class="analytics-page">
      <div class="page-title">
        <a href="/cameras" class="back">← Cameras</a>
        <h1>{!camera ? "Zones and rules" : ioModule ? `Rules of ${camera.name}` : `Zones and rules of ${camera.name}`}</h1>
        <span class="spacer" />
        {camera && <a href={`/cameras/${camera.id}/edit`}>{ioModule ? "I/O module settings" : "Camera settings"}</a>}
      </div>
      {camera?.kind === "radar" && (
        <div class="notice notice-warning" data-testid="radar-on-plan">
          A radar's zones and rules are drawn on the site plan it stands on:{" "}
          {camera.site_plan !== null
            ? <a href={`/site-plans/${camera.site_plan}?device=${camera.id}`}>open its plan</a>
            : <>place it on a <a href="/site-plans">site plan</a> first</>}.
        </div>
      )}
      {camera?.kind === "camera" && !camera.analytics_enabled && (
        <div class="notice notice-warning" data-testid="analytics-off">
          This camera is not analysed: rules that watch its picture do not fire. Switch on “Analyse this camera” in its{" "}
          <a href={`/cameras/${camera.id}/edit`}>settings</a>.
        </div>
      )}
      {camera && !camera.listen_events && rules?.some((rule) => rule.condition === "camera_event") && (
        <div class="notice notice-warning" data-testid="camera-events-off">
          This camera's own events are not received: rules on them do not fire. Switch on “Receive the camera's own
          events” in its <a href={`/cameras/${camera.id}/edit`}>settings</a>.
        </div>
      )}
      {ioModule && (
        <p class="muted" data-testid="io-module-rules">
          An I/O module has no picture: its rules act on what it reports, its digital inputs above all (add an item
          such as InputToken = 1 for one input). Its events may keep the footage of the cameras that see what it
          watches.
        </p>
      )}
      <ErrorNote error={error} title="The zones and rules could not be loaded." />
      {(!camera || !zones || !rules) && !error && <Loading what="zones and rules" />}
      {camera?.kind === "camera" && zones && rules && (
        <>
          <CameraZoneEditor camera={camera} zones={zones} rules={rules} onChanged={load} />
          <RulesSection camera={camera.id} zones={zones} rules={rules} devices={devices} onChanged={load} />
          <CountsChart camera={camera.id} />
        </>
      )}
      {camera?.kind === "io_module" && zones && rules && (
        <RulesSection camera={camera.id} zones={[]} rules={rules} devices={devices} onChanged={load}
          noVideo={{ kind: "io_module", cameras: devices.filter((device) => device.kind === "camera") }} />
      )}
    </section>
  );
}
