/** Add or change a rule: what to watch where, for which objects, when, and what to do when it fires (among others,
 * switch a relay output: the device's own, or another camera's or I/O module's). A radar's rules watch its areas on the
 * site plan (intrusion, speed, heading) and keep the footage of the cameras that see them; an I/O module's watch what
 * it reports (its digital inputs) and may keep the footage of cameras too. */

import { useEffect, useRef, useState } from "preact/hooks";
import { rules } from "../api/endpoints";
import type {
  Camera, CrossingDirection, DeviceEventKind, DeviceKind, ObjectClass, Rule, RuleCondition, Severity, Zone,
} from "../api/types";
import { Field, fieldErrors, focusFirstInvalid, FormErrors } from "../components/Field";
import { EventItemsEditor } from "./EventItemsEditor";
import { AnnouncementFields } from "./AnnouncementFields";
import { GatekeeperFields } from "./GatekeeperFields";
import { RelayDeviceField, relayDevicesOf, RelayOutputField } from "./RelayOutputField";
import { draftOf, inputOf, NEW_RULE, watchesObjects, zoneKindOf, type RuleDraft } from "./ruleDraft";
import { ScheduleEditor } from "./ScheduleEditor";
import {
  CONDITIONS, DEVICE_EVENT_KINDS, DIRECTIONS, IO_MODULE_CONDITIONS, OBJECT_CLASSES, RADAR_CONDITIONS, RADAR_OBJECT_CLASSES,
  SEVERITIES,
} from "./vocabulary";

/** The rules of a device without video (a radar, an I/O module): which it is, and the cameras that may record its
 * events (it has no footage of its own). */
export interface NoVideoRules {
  kind: "radar" | "io_module";
  cameras: Camera[];
}

/** A new I/O module's rule watches its digital inputs. */
const NEW_IO_MODULE_RULE: RuleDraft = { ...NEW_RULE, condition: "camera_event", event_kind: "digital_input", object_classes: [] };

interface RuleFormProps {
  camera: number;
  /** The rule being changed; absent when adding one. */
  rule?: Rule;
  zones: Zone[];
  /** Set for the rule of a device without video. */
  noVideo?: NoVideoRules;
  /** The devices the user may see: those whose relay outputs the rule may switch are among them. */
  devices: Camera[];
  onSaved: (rule: Rule) => void;
  onCancel: () => void;
}

/** The zone to keep when the condition changes: the chosen one if it is of the right kind, else the first that is. */
function zoneFor(condition: RuleCondition, current: string, zones: Zone[]): string {
  const kind = zoneKindOf(condition);
  if (!kind) return "";
  if (zones.some((zone) => String(zone.id) === current && zone.kind === kind)) return current;
  return String(zones.find((zone) => zone.kind === kind)?.id ?? "");
}

export function RuleForm({ camera, rule, zones, noVideo, devices, onSaved, onCancel }: RuleFormProps) {
  const radar = noVideo?.kind === "radar";
  const ownKind: DeviceKind = noVideo?.kind ?? "camera";
  const [draft, setDraft] = useState<RuleDraft>(() => {
    if (rule) return draftOf(rule);
    return noVideo?.kind === "io_module" ? NEW_IO_MODULE_RULE : { ...NEW_RULE, zone: zoneFor(NEW_RULE.condition, "", zones) };
  });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(form.current), [error]);

  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]) => setDraft({ ...draft, [key]: value });
  const setCondition = (condition: RuleCondition) => setDraft({ ...draft, condition, zone: zoneFor(condition, draft.zone, zones) });
  const toggleClass = (name: ObjectClass, on: boolean) =>
    set("object_classes", on ? [...draft.object_classes, name] : draft.object_classes.filter((c) => c !== name));
  const toggleCamera = (id: number, on: boolean) =>
    set("record_cameras", on ? [...draft.record_cameras, id] : draft.record_cameras.filter((c) => c !== id));

  async function save(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      // A device without video has no footage of its own: its events keep the chosen cameras'.
      const input = noVideo ? { ...inputOf(draft), record_event: false } : inputOf(draft);
      onSaved(rule ? await rules.update(camera, rule.id, input) : await rules.create(camera, input));
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  const kind = zoneKindOf(draft.condition);
  const candidates = zones.filter((zone) => zone.kind === kind);
  const { condition } = draft;
  // The camera's own events: no zone or objects, and the camera says when each starts and ends (no minimum duration).
  const ownEvents = condition === "camera_event";
  const relayCandidates = relayDevicesOf(devices, camera);
  const relayDevice = draft.relay_device ?? camera;
  const relayKind = draft.relay_device === null
    ? ownKind
    : devices.find((device) => device.id === draft.relay_device)?.kind ?? "camera";
  const conditions = radar ? RADAR_CONDITIONS : noVideo ? IO_MODULE_CONDITIONS : CONDITIONS;
  return (
    <form ref={form} class="card rule-form" onSubmit={save} data-testid="rule-form">
      <h3>{rule ? `Change “${rule.name}”` : "New rule"}</h3>
      <div class="field-row">
        <Field label="Rule name" name="name" error={error}>
          <input name="rule-name" required maxLength={120} value={draft.name} onInput={(e) => set("name", e.currentTarget.value)} />
        </Field>
        <label class="checkbox">
          <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => set("enabled", e.currentTarget.checked)} />
          Rule enabled
        </label>
      </div>

      <fieldset class="rule-part">
        <legend>What to watch</legend>
        <div class="field-row">
          <Field label="Condition" name="condition" error={error}>
            <select name="condition" value={condition} onChange={(e) => setCondition(e.currentTarget.value as RuleCondition)}>
              {conditions.map(([value, words]) => <option value={value}>{words}</option>)}
            </select>
          </Field>
          {kind && (
            <Field label="Zone or line" name="zone" error={error}
              hint={candidates.length ? undefined : `Draw ${kind === "line" ? "a line" : "an area"} on the picture above first.`}>
              <select name="zone" required value={draft.zone} onChange={(e) => set("zone", e.currentTarget.value)}>
                {candidates.length === 0 && <option value="">{kind === "line" ? "No lines yet" : "No areas yet"}</option>}
                {candidates.map((zone) => <option value={String(zone.id)}>{zone.name}</option>)}
              </select>
            </Field>
          )}
        </div>
        {watchesObjects(condition) && (
          <fieldset class="object-classes">
            <legend>Objects</legend>
            {(radar ? RADAR_OBJECT_CLASSES : OBJECT_CLASSES).map(([name, words]) => (
              <label class="checkbox-inline">
                <input type="checkbox" name="object_classes" value={name} checked={draft.object_classes.includes(name)}
                  onChange={(e) => toggleClass(name, e.currentTarget.checked)} />
                {words}
              </label>
            ))}
            <span class="field-hint">None ticked: any object.</span>
            {fieldErrors(error, "object_classes").map((message) => <span class="field-error" role="alert">{message}</span>)}
          </fieldset>
        )}
        {ownEvents && (
          <>
            <div class="field-row">
              <Field label={ownKind === "io_module" ? "Kind of event" : "Kind of camera event"} name="event_kind" error={error}>
                <select name="event_kind" value={draft.event_kind}
                  onChange={(e) => set("event_kind", e.currentTarget.value as DeviceEventKind | "")}>
                  <option value="">Any kind (give a topic)</option>
                  {DEVICE_EVENT_KINDS.map(([value, words]) => <option value={value}>{words}</option>)}
                </select>
              </Field>
              <Field label="ONVIF topic (optional)" name="event_topic" error={error}
                hint="E.g. tns1:RuleEngine/LineDetector; its subtopics count too. Empty: any topic of this kind.">
                <input name="event_topic" maxLength={500} spellcheck={false} value={draft.event_topic}
                  onInput={(e) => set("event_topic", e.currentTarget.value)} />
              </Field>
            </div>
            <EventItemsEditor items={draft.event_items} onChange={(items) => set("event_items", items)} error={error} />
          </>
        )}
        <div class="field-row">
          {condition === "dwell" && (
            <Field label="Dwell time (seconds)" name="dwell_seconds" error={error} hint="How long an object stays before it counts as loitering.">
              <input name="dwell_seconds" type="number" required min={0} step="any" value={draft.dwell_seconds}
                onInput={(e) => set("dwell_seconds", e.currentTarget.value)} />
            </Field>
          )}
          {condition === "cross" && (
            <Field label="Direction" name="direction" error={error} hint="The arrow on the line points from its left to its right: A→B.">
              <select name="direction" value={draft.direction} onChange={(e) => set("direction", e.currentTarget.value as CrossingDirection)}>
                {DIRECTIONS.map(([value, words]) => <option value={value}>{words}</option>)}
              </select>
            </Field>
          )}
          {condition === "count" && (
            <Field label="Count threshold" name="count_threshold" error={error} hint="Fires when more than this many objects are in the area.">
              <input name="count_threshold" type="number" required min={0} step={1} value={draft.count_threshold}
                onInput={(e) => set("count_threshold", e.currentTarget.value)} />
            </Field>
          )}
          {condition === "speed" && (
            <Field label="Faster than (km/h)" name="speed_kmh" error={error} hint="The radar measures each object's speed.">
              <input name="speed_kmh" type="number" required min={0} max={500} step="any" value={draft.speed_kmh}
                onInput={(e) => set("speed_kmh", e.currentTarget.value)} />
            </Field>
          )}
          {condition === "heading" && (
            <>
              <Field label="Heading (degrees)" name="heading_deg" error={error}
                hint="The way it moves on the plan: 0 up, 90 right, 180 down, 270 left.">
                <input name="heading_deg" type="number" required min={0} max={360} step="any" value={draft.heading_deg}
                  onInput={(e) => set("heading_deg", e.currentTarget.value)} />
              </Field>
              <Field label="Tolerance (degrees)" name="tolerance_deg" error={error} hint="How far off that way still counts.">
                <input name="tolerance_deg" type="number" required min={0} max={180} step="any" value={draft.tolerance_deg}
                  onInput={(e) => set("tolerance_deg", e.currentTarget.value)} />
              </Field>
            </>
          )}
          {!ownEvents && (
            <Field label="Minimum duration (seconds)" name="min_duration_seconds" error={error}
              hint="How long it must go on before the rule fires.">
              <input name="min_duration_seconds" type="number" required min={0} step="any" value={draft.min_duration_seconds}
                onInput={(e) => set("min_duration_seconds", e.currentTarget.value)} />
            </Field>
          )}
        </div>
      </fieldset>

      <ScheduleEditor schedule={draft.schedule} onChange={(schedule) => set("schedule", schedule)} error={error} />

      <fieldset class="rule-part">
        <legend>What to do</legend>
        <div class="field-row">
          <Field label="Severity" name="severity" error={error}>
            <select name="severity" value={String(draft.severity)} onChange={(e) => set("severity", Number(e.currentTarget.value) as Severity)}>
              {SEVERITIES.map(([value, words]) => <option value={String(value)}>{words}</option>)}
            </select>
          </Field>
          <label class="checkbox">
            <input type="checkbox" name="raise_alarm" checked={draft.raise_alarm} onChange={(e) => set("raise_alarm", e.currentTarget.checked)} />
            Raise an alarm
          </label>
        </div>
        {noVideo && (
          <fieldset class="object-classes" data-testid="record-cameras">
            <legend>Record these cameras</legend>
            {noVideo.cameras.map((each) => (
              <label class="checkbox-inline">
                <input type="checkbox" name="record_cameras" value={String(each.id)}
                  checked={draft.record_cameras.includes(each.id)}
                  onChange={(e) => toggleCamera(each.id, e.currentTarget.checked)} />
                {each.name}
              </label>
            ))}
            {radar && (
              <label class="checkbox-inline">
                <input type="checkbox" name="record_seeing_cameras" checked={draft.record_seeing_cameras}
                  onChange={(e) => set("record_seeing_cameras", e.currentTarget.checked)} />
                And every camera whose view, as placed on the plan, covers the zone
              </label>
            )}
            <span class="field-hint">
              {!noVideo.cameras.length
                ? "No cameras to record."
                : radar
                  ? "The cameras that see the zone: their footage of each event is kept."
                  : "The cameras that see what it watches (a door, a gate): their footage of each event is kept."}
            </span>
            {fieldErrors(error, "record_cameras").map((message) => <span class="field-error" role="alert">{message}</span>)}
          </fieldset>
        )}
        <div class="field-row">
          {!noVideo && (
            <label class="checkbox">
              <input type="checkbox" name="record_event" checked={draft.record_event} onChange={(e) => set("record_event", e.currentTarget.checked)} />
              Record the event
            </label>
          )}
          <Field label="Pre-roll (seconds before)" name="pre_roll_seconds" error={error}>
            <input name="pre_roll_seconds" type="number" required min={0} step={1} value={draft.pre_roll_seconds}
              disabled={noVideo ? !draft.record_cameras.length : !draft.record_event}
              onInput={(e) => set("pre_roll_seconds", e.currentTarget.value)} />
          </Field>
          <Field label="Post-roll (seconds after)" name="post_roll_seconds" error={error}>
            <input name="post_roll_seconds" type="number" required min={0} step={1} value={draft.post_roll_seconds}
              disabled={noVideo ? !draft.record_cameras.length : !draft.record_event}
              onInput={(e) => set("post_roll_seconds", e.currentTarget.value)} />
          </Field>
        </div>
        {!radar && (
          <div class="field-row">
            <RelayDeviceField ownKind={ownKind} value={draft.relay_device} candidates={relayCandidates} devices={devices}
              error={error} onChange={(device) => setDraft({ ...draft, relay_device: device, relay_output: "" })} />
            <RelayOutputField device={relayDevice} kind={relayKind} value={draft.relay_output}
              onChange={(token) => set("relay_output", token)} error={error} />
            <Field label="On for (seconds)" name="relay_seconds" error={error}>
              <input name="relay_seconds" type="number" required min={0.5} max={3600} step={0.5} value={draft.relay_seconds}
                disabled={!draft.relay_output.trim()} onInput={(e) => set("relay_seconds", e.currentTarget.value)} />
            </Field>
          </div>
        )}
        <GatekeeperFields devices={devices.filter((device) => device.id !== camera)} camera={draft.ptz_camera}
          preset={draft.ptz_preset} holdSeconds={draft.ptz_hold_seconds} follow={radar ? draft.ptz_follow : undefined}
          error={error}
          onChange={(change) => setDraft({
            ...draft,
            ptz_camera: change.camera !== undefined ? change.camera : draft.ptz_camera,
            ptz_preset: change.preset ?? draft.ptz_preset,
            ptz_hold_seconds: change.holdSeconds ?? draft.ptz_hold_seconds,
            ptz_follow: change.follow ?? draft.ptz_follow,
          })} />
        <AnnouncementFields camera={camera} devices={devices} announcement={draft.announcement}
          speaker={draft.announcement_camera} error={error}
          onChange={(change) => setDraft({ ...draft, announcement: change.announcement, announcement_camera: change.speaker })} />
        <div class="field-row">
          <Field label="Webhook URL" name="webhook_url" error={error} hint="Each event is also sent here. Empty: no webhook.">
            <input name="webhook_url" type="url" placeholder="https://" spellcheck={false} value={draft.webhook_url}
              onInput={(e) => set("webhook_url", e.currentTarget.value)} />
          </Field>
          <Field label="Webhook secret" name="webhook_secret" error={error}
            hint={rule?.has_webhook_secret ? "Secret set. Leave empty to keep it." : "Signs each delivery, so the receiver can tell it came from the VMS."}>
            <input name="webhook_secret" type="password" autocomplete="new-password" value={draft.webhook_secret}
              placeholder={rule?.has_webhook_secret ? "••••••••" : ""} onInput={(e) => set("webhook_secret", e.currentTarget.value)} />
          </Field>
        </div>
      </fieldset>

      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : rule ? "Save changes" : "Save rule"}</button>
      </div>
    </form>
  );
}
