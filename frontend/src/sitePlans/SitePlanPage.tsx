/**
 * One site plan: its picture with the cameras and radars placed on it (what each covers, its status pushed live) and
 * the objects the radars track, live. Admins place, move and aim devices, rename, replace or delete the plan, and
 * draw a chosen radar's zones and set its rules on the plan.
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras as camerasApi, rules as rulesApi, sitePlans, zones as zonesApi } from "../api/endpoints";
import type { Camera, Point, Rule, SitePlan, Zone } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { navigate, useLocation } from "../app/router";
import { useCan } from "../app/session";
import { StateBadge } from "../cameras/CameraStatus";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote, Loading } from "../components/Notice";
import { applyStatus, useCameraStatus, withNewerStatus } from "../realtime/cameraStatus";
import { DevicePlacement, type Aim } from "./DevicePlacement";
import { PlanView, type Placement } from "./PlanView";
import { RadarZonesAndRules } from "./RadarZonesAndRules";
import { SitePlanForm } from "./SitePlanForm";

function isPlacedOn(device: Camera, plan: number): boolean {
  return device.site_plan === plan && device.plan_x !== null && device.plan_y !== null;
}

function DeletePlanDialog({ plan, onCancel }: { plan: SitePlan; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    try {
      await sitePlans.remove(plan.id);
      navigate("/site-plans");
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title={`Delete ${plan.name}?`} confirmLabel="Delete plan" busy={busy} onConfirm={confirm} onCancel={onCancel}>
      <p>The devices on it are taken off it, and its radars stop placing what they see until placed on another plan.
        This cannot be undone.</p>
      <ErrorNote error={error} />
    </ConfirmDialog>
  );
}

export function SitePlanPage({ plan: id }: { plan: string }) {
  const planId = Number(id);
  const { search } = useLocation();
  const canPlace = useCan(PERMISSION.changeCamera);
  const canChangePlan = useCan(PERMISSION.changeSitePlan);
  const canDeletePlan = useCan(PERMISSION.deleteSitePlan);
  const canLive = useCan(PERMISSION.viewLive);
  const [plan, setPlan] = useState<SitePlan | null>(null);
  const [devices, setDevices] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(() => Number(search.get("device")) || null);
  const [placing, setPlacing] = useState<Camera | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [editingPlan, setEditingPlan] = useState(false);
  const [deletingPlan, setDeletingPlan] = useState(false);
  const [zones, setZones] = useState<Zone[]>([]);
  const [rules, setRules] = useState<Rule[] | null>(null);

  const load = useCallback(async () => {
    try {
      const loaded = await camerasApi.list();
      setDevices((current) => withNewerStatus(loaded, current));
    } catch (failure) {
      setError(failure);
    }
  }, []);

  useEffect(() => {
    sitePlans.get(planId).then(setPlan, setError);
    load();
  }, [planId, load]);

  useCameraStatus(
    devices?.map((device) => device.id) ?? [],
    (data) => setDevices((current) => current?.map((device) => (device.id === data.camera ? applyStatus(device, data) : device)) ?? current),
    load,
  );

  const placed = devices?.filter((device) => isPlacedOn(device, planId)) ?? [];
  // An I/O module is not placed: what the plan draws of a device is what it sees (a camera) or tracks (a radar).
  const unplaced = devices?.filter((device) => device.kind !== "io_module"
    && (device.site_plan === null || device.plan_x === null || device.plan_y === null)) ?? [];
  const chosen = placed.find((device) => device.id === selected) ?? null;
  const radar = chosen?.kind === "radar" ? chosen : null;

  // The chosen radar's zones show on the plan; its rules are set under it.
  const loadAnalytics = useCallback(async () => {
    if (!radar) return;
    try {
      const [foundZones, foundRules] = await Promise.all([zonesApi.list(radar.id), rulesApi.list(radar.id)]);
      setZones(foundZones);
      setRules(foundRules);
    } catch {
      setZones([]);
      setRules(null);
    }
  }, [radar?.id]);

  useEffect(() => {
    setZones([]);
    setRules(null);
    loadAnalytics();
  }, [loadAnalytics]);

  async function change(device: Camera, input: Partial<Camera>) {
    setSaving(true);
    setSaveError(null);
    // Shown where it goes at once; put back if the server refuses.
    setDevices((current) => current?.map((each) => (each.id === device.id ? { ...each, ...input } : each)) ?? current);
    try {
      const saved = await camerasApi.update(device.id, input);
      setDevices((current) => current?.map((each) => (each.id === saved.id ? saved : each)) ?? current);
    } catch (failure) {
      setDevices((current) => current?.map((each) => (each.id === device.id ? device : each)) ?? current);
      setSaveError(failure);
    } finally {
      setSaving(false);
    }
  }

  // Escape gives up placing a device, as it gives up drawing a zone.
  useEffect(() => {
    if (!placing) return undefined;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setPlacing(null);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [placing]);

  function place(point: Point) {
    if (!placing) return;
    const device = placing;
    setPlacing(null);
    setSelected(device.id);
    change(device, { site_plan: planId, plan_x: point[0], plan_y: point[1] });
  }

  return (
    <section class="site-plan-page">
      <div class="page-title">
        <a href="/site-plans" class="back">← Site plans</a>
        <h1>{plan ? plan.name : "Site plan"}</h1>
        {plan && <span class="muted">{plan.width_m} m wide</span>}
        <span class="spacer" />
        {plan && canChangePlan && !editingPlan && <button type="button" onClick={() => setEditingPlan(true)}>Rename or replace</button>}
        {plan && canDeletePlan && <button type="button" class="link danger-text" onClick={() => setDeletingPlan(true)}>Delete plan</button>}
      </div>
      {plan && editingPlan && (
        <SitePlanForm plan={plan} onSaved={(saved) => { setPlan(saved); setEditingPlan(false); }}
          onCancel={() => setEditingPlan(false)} />
      )}
      <ErrorNote error={error} title="The site plan could not be loaded." />
      {(!plan || !devices) && !error && <Loading what="the site plan" />}
      {plan && devices && (
        <div class="picture-workspace">
          <div>
            {placing && (
              <p class="notice" data-testid="placing-note">
                Click on the plan where {placing.name} stands (Escape cancels).{" "}
                <button type="button" class="link" onClick={() => setPlacing(null)}>Cancel</button>
              </p>
            )}
            <PlanView plan={plan} devices={placed} live={canLive} zones={radar ? zones : []} selected={selected}
              onSelect={(device) => !placing && setSelected(device)} editable={canPlace} placing={placing}
              onPlace={place} onPlaced={(device, input: Partial<Placement>) => change(device, input)} />
            <ErrorNote error={saveError} title="The device could not be placed." />
          </div>
          <div class="picture-side">
            {placed.length === 0 && <p class="muted">No devices on this plan yet.</p>}
            {placed.length > 0 && (
              <ul class="shape-list" aria-label="Devices on the plan">
                {placed.map((device) => (
                  <li key={device.id}>
                    <button type="button" class="shape-pick" aria-pressed={device.id === selected}
                      onClick={() => setSelected(device.id === selected ? null : device.id)}>
                      {device.name}
                      <span class="muted small">{device.kind === "radar" ? "radar" : "camera"}</span>
                      <StateBadge state={device.live_status.state} />
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {chosen && (
              <div class="shape-details" data-testid="device-details" data-device-id={chosen.id}>
                <h3>{chosen.name}</h3>
                <p><StateBadge state={chosen.live_status.state} /> {chosen.kind === "radar" ? "Radar" : "Camera"}</p>
                {chosen.live_status.analytics_error && (
                  <p class="status-error" data-testid="analytics-error">Analytics: {chosen.live_status.analytics_error}</p>
                )}
                <p class="row-actions">
                  {chosen.kind === "camera" && canLive && <a href={`/live/${chosen.id}`}>Live</a>}
                  {canPlace && <a href={`/cameras/${chosen.id}/edit`}>Settings</a>}
                </p>
                {canPlace && (
                  <DevicePlacement key={`${chosen.id}/${chosen.plan_heading}/${chosen.plan_fov}/${chosen.plan_range_m}`}
                    device={chosen} busy={saving} error={saveError}
                    onSave={(aim: Aim) => change(chosen, aim)}
                    onRemove={() => { setSelected(null); change(chosen, { site_plan: null, plan_x: null, plan_y: null }); }} />
                )}
              </div>
            )}
            {canPlace && unplaced.length > 0 && (
              <div class="unplaced" data-testid="unplaced-devices">
                <h3>Not on a plan</h3>
                <ul class="shape-list" aria-label="Devices not on a plan">
                  {unplaced.map((device) => (
                    <li key={device.id}>
                      <button type="button" class="shape-pick" aria-pressed={placing?.id === device.id}
                        aria-label={`Place ${device.name}`}
                        onClick={() => { setPlacing(placing?.id === device.id ? null : device); setSelected(null); }}>
                        Place {device.name}
                        <span class="muted small">{device.kind === "radar" ? "radar" : "camera"}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        </div>
      )}
      {plan && radar && canPlace && rules && (
        <RadarZonesAndRules key={radar.id} plan={plan} radar={radar} zones={zones} rules={rules}
          cameras={devices?.filter((device) => device.kind === "camera") ?? []} onChanged={loadAnalytics} />
      )}
      {plan && deletingPlan && <DeletePlanDialog plan={plan} onCancel={() => setDeletingPlan(false)} />}
    </section>
  );
}
