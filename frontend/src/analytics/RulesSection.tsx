/** A camera's (or a radar's, or an I/O module's) rules: the list, and the form to add or change one, with its webhook
 * deliveries under it. */

import { useState } from "preact/hooks";
import { rules as rulesApi } from "../api/endpoints";
import type { Camera, Rule, ScheduleWindow, Zone } from "../api/types";
import { KIND_NAME } from "../cameras/deviceKinds";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNote } from "../components/Notice";
import { watchesObjects } from "./ruleDraft";
import { RuleForm, type NoVideoRules } from "./RuleForm";
import { CONDITION_SHORT, DAYS, OBJECT_WORDS, SEVERITY_WORDS, watchedEventWords } from "./vocabulary";
import { WebhookDeliveries } from "./WebhookDeliveries";

interface RulesSectionProps {
  camera: number;
  zones: Zone[];
  rules: Rule[];
  /** Set for the rules of a device without video (a radar, an I/O module). */
  noVideo?: NoVideoRules;
  /** The devices the user may see: whose relay outputs a rule may switch, and how the list names them. */
  devices: Camera[];
  /** A rule was saved or deleted: load the rules again. */
  onChanged: () => void;
}

function scheduleWords(schedule: ScheduleWindow[]): string {
  if (!schedule.length) return "Always";
  return schedule
    .map((window) => `${window.days.map((day) => DAYS[day]?.[1]).join(" ")} ${window.start.slice(0, 5)}–${window.end.slice(0, 5)}`)
    .join("; ");
}

/** What the rule watches: its condition, with its zone or which of the camera's own events. */
function conditionWords(rule: Rule, zoneName: string): string {
  if (rule.condition === "camera_event") return `${CONDITION_SHORT.camera_event} · ${watchedEventWords(rule)}`;
  if (rule.condition === "speed") return `${CONDITION_SHORT.speed} (over ${rule.speed_kmh} km/h) · ${zoneName}`;
  if (rule.condition === "heading") {
    return `${CONDITION_SHORT.heading} (${rule.heading_deg}° ± ${rule.tolerance_deg}°) · ${zoneName}`;
  }
  return rule.zone === null ? CONDITION_SHORT[rule.condition] : `${CONDITION_SHORT[rule.condition]} · ${zoneName}`;
}

/** Which relay output the rule switches for how long, naming the device when it is not the rule's own. */
function relayWords(rule: Rule, devices: Camera[]): string {
  const device = rule.relay_device !== null && rule.relay_device !== rule.camera
    ? ` of ${devices.find((each) => each.id === rule.relay_device)?.name ?? `device ${rule.relay_device}`}`
    : "";
  return `Relay ${rule.relay_output}${device} for ${rule.relay_seconds} s`;
}

/** What the rule does when it fires, e.g. "Alarm, Recording, Relay AlarmOut_0 of Gate I/O for 5 s". */
function actionWords(rule: Rule, devices: Camera[]): string {
  const ptzName = devices.find((each) => each.id === rule.ptz_camera)?.name ?? `camera ${rule.ptz_camera}`;
  const actions = [
    rule.raise_alarm && "Alarm",
    rule.record_event && "Recording",
    rule.record_cameras.length > 0 && `Recording ${rule.record_cameras.length} ${rule.record_cameras.length === 1 ? "camera" : "cameras"}`,
    rule.relay_output && relayWords(rule, devices),
    rule.ptz_camera !== null &&
      (rule.ptz_follow ? `Follows the object with ${ptzName}` : `Sends ${ptzName} to a preset`),
    rule.announcement !== null && `Announcement on ${rule.announcement_camera === null
      ? "its speaker"
      : `${devices.find((each) => each.id === rule.announcement_camera)?.name ?? `camera ${rule.announcement_camera}`}'s speaker`}`,
    rule.record_seeing_cameras && "Recording the cameras that see it",
    rule.webhook_url && "Webhook",
  ].filter(Boolean);
  return actions.length ? actions.join(", ") : "Event only";
}

function DeleteRuleDialog({ camera, rule, onDone, onCancel }: { camera: number; rule: Rule; onDone: () => void; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    try {
      await rulesApi.remove(camera, rule.id);
      onDone();
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog title={`Delete ${rule.name}?`} confirmLabel="Delete rule" busy={busy} onConfirm={confirm} onCancel={onCancel}>
      <p>The rule stops watching this camera. This cannot be undone.</p>
      <ErrorNote error={error} />
    </ConfirmDialog>
  );
}

export function RulesSection({ camera, zones, rules, noVideo, devices, onChanged }: RulesSectionProps) {
  // null: no form; {}: a new rule; {rule}: changing that rule.
  const [editing, setEditing] = useState<{ rule?: Rule } | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const zoneName = (id: number | null) => zones.find((zone) => zone.id === id)?.name ?? "";

  return (
    <section class="rules" data-testid="rules">
      <div class="section-title">
        <h2>Rules</h2>
        <span class="spacer" />
        {!editing && <button type="button" class="primary" onClick={() => setEditing({})}>Add rule</button>}
      </div>
      {rules.length === 0 && !editing && <p class="muted">No rules yet: nothing on this {KIND_NAME[noVideo?.kind ?? "camera"]} raises events.</p>}
      {rules.length > 0 && (
        <table class="table rule-table">
          <thead><tr><th>Rule</th><th>When</th><th>Objects</th><th>Active</th><th>Severity</th><th>Then</th><th /></tr></thead>
          <tbody>
            {rules.map((rule) => (
              <tr key={rule.id} data-rule-id={rule.id} class={rule.enabled ? "" : "inactive"}>
                <td><span class="camera-name">{rule.name}</span>{!rule.enabled && <div class="small">Switched off</div>}</td>
                <td>{conditionWords(rule, zoneName(rule.zone))}</td>
                <td>
                  {watchesObjects(rule.condition)
                    ? (rule.object_classes.length ? rule.object_classes.map((name) => OBJECT_WORDS[name]).join(", ") : "Any object")
                    : "—"}
                </td>
                <td class="small">{scheduleWords(rule.schedule)}</td>
                <td>{SEVERITY_WORDS[rule.severity]}</td>
                <td class="small">{actionWords(rule, devices)}</td>
                <td class="row-actions">
                  <button type="button" class="link" onClick={() => setEditing({ rule })}>Edit</button>
                  <button type="button" class="link danger-text" onClick={() => setDeleting(rule)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <RuleForm key={editing.rule?.id ?? "new"} camera={camera} rule={editing.rule} zones={zones} noVideo={noVideo}
          devices={devices}
          onSaved={() => { setEditing(null); onChanged(); }} onCancel={() => setEditing(null)} />
      )}
      {editing?.rule && <WebhookDeliveries rule={editing.rule.id} />}
      {deleting && (
        <DeleteRuleDialog camera={camera} rule={deleting} onCancel={() => setDeleting(null)}
          onDone={() => { setDeleting(null); setEditing(null); onChanged(); }} />
      )}
    </section>
  );
}
