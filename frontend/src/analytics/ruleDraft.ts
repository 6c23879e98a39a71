/** The rule form's values, as typed (text for numbers), which fields each condition uses, and what the API takes. */

import type {
  CrossingDirection, DeviceEventKind, ObjectClass, Rule, RuleCondition, RuleInput, ScheduleWindow, Severity, ZoneKind,
} from "../api/types";

/** The API keeps at most this many items a camera's event must hold. */
export const MAX_EVENT_ITEMS = 16;

/** A name and value the camera's event must hold, as typed: a list, so a row can be half typed or emptied. */
export type EventItem = [name: string, value: string];

export interface RuleDraft {
  name: string;
  enabled: boolean;
  condition: RuleCondition;
  /** The zone's id as the select holds it; "" for none. */
  zone: string;
  object_classes: ObjectClass[];
  dwell_seconds: string;
  direction: CrossingDirection;
  count_threshold: string;
  /** A radar's: faster than this (speed), or moving this way within the tolerance (heading; compass degrees on the
   * plan, clockwise from its up). */
  speed_kmh: string;
  heading_deg: string;
  tolerance_deg: string;
  /** Of the camera's own events (condition camera_event): "" any kind. */
  event_kind: DeviceEventKind | "";
  event_topic: string;
  event_items: EventItem[];
  min_duration_seconds: string;
  schedule: ScheduleWindow[];
  severity: Severity;
  raise_alarm: boolean;
  record_event: boolean;
  /** A radar's rule: the cameras whose footage of each event is kept (those that see the zone). */
  record_cameras: number[];
  record_seeing_cameras: boolean;
  pre_roll_seconds: string;
  post_roll_seconds: string;
  /** The ONVIF token of the camera's relay output to switch on when the rule fires; "" for none. */
  relay_output: string;
  relay_device: number | null;
  relay_seconds: string;
  ptz_camera: number | null;
  ptz_preset: string;
  ptz_hold_seconds: string;
  ptz_follow: boolean;
  /** The announcement played on a camera's speaker when the rule fires; null for none. */
  announcement: number | null;
  /** The camera whose speaker plays it; null for the rule's own camera. */
  announcement_camera: number | null;
  webhook_url: string;
  /** Typed only to set a new one: the API never sends the secret back. */
  webhook_secret: string;
}

export const NEW_RULE: RuleDraft = {
  name: "",
  enabled: true,
  condition: "enter",
  zone: "",
  object_classes: ["person"],
  dwell_seconds: "10",
  direction: "any",
  count_threshold: "2",
  speed_kmh: "30",
  heading_deg: "0",
  tolerance_deg: "45",
  event_kind: "",
  event_topic: "",
  event_items: [],
  min_duration_seconds: "0",
  schedule: [],
  severity: 2,
  raise_alarm: true,
  record_event: true,
  record_cameras: [],
  record_seeing_cameras: false,
  pre_roll_seconds: "5",
  post_roll_seconds: "10",
  relay_output: "",
  relay_device: null,
  relay_seconds: "5",
  ptz_camera: null,
  ptz_preset: "",
  ptz_hold_seconds: "30",
  ptz_follow: false,
  announcement: null,
  announcement_camera: null,
  webhook_url: "",
  webhook_secret: "",
};

/** The kind of zone a condition watches: an area, a line, or none (the camera as a whole). */
export function zoneKindOf(condition: RuleCondition): ZoneKind | null {
  if (condition === "cross") return "line";
  if (condition === "offline" || condition === "tamper" || condition === "camera_event") return null;
  return "area";
}

/** Conditions about tracked objects, which can be narrowed to some classes. */
export function watchesObjects(condition: RuleCondition): boolean {
  return condition === "enter" || condition === "dwell" || condition === "cross" || condition === "count"
    || condition === "speed" || condition === "heading";
}

export function draftOf(rule: Rule): RuleDraft {
  return {
    name: rule.name,
    enabled: rule.enabled,
    condition: rule.condition,
    zone: rule.zone === null ? "" : String(rule.zone),
    object_classes: rule.object_classes,
    dwell_seconds: String(rule.dwell_seconds),
    direction: rule.direction,
    count_threshold: String(rule.count_threshold),
    speed_kmh: String(rule.speed_kmh),
    heading_deg: String(rule.heading_deg),
    tolerance_deg: String(rule.tolerance_deg),
    event_kind: rule.event_kind,
    event_topic: rule.event_topic,
    event_items: Object.entries(rule.event_items),
    min_duration_seconds: String(rule.min_duration_seconds),
    schedule: rule.schedule,
    severity: rule.severity,
    raise_alarm: rule.raise_alarm,
    record_event: rule.record_event,
    record_cameras: rule.record_cameras,
    record_seeing_cameras: rule.record_seeing_cameras,
    pre_roll_seconds: String(rule.pre_roll_seconds),
    post_roll_seconds: String(rule.post_roll_seconds),
    relay_output: rule.relay_output,
    relay_device: rule.relay_device ?? null,
    relay_seconds: String(rule.relay_seconds),
    ptz_camera: rule.ptz_camera ?? null,
    ptz_preset: rule.ptz_preset,
    ptz_hold_seconds: String(rule.ptz_hold_seconds),
    ptz_follow: rule.ptz_follow,
    announcement: rule.announcement ?? null,
    announcement_camera: rule.announcement_camera ?? null,
    webhook_url: rule.webhook_url,
    webhook_secret: "",
  };
}

/** The secret goes only when typed, so an edit keeps the stored one; a condition without a zone sends null, one
 * not on the camera's own events sends none of theirs; items without a name are left out. */
export function inputOf(draft: RuleDraft): RuleInput {
  const ownEvents = draft.condition === "camera_event";
  const items = draft.event_items.map(([name, value]): EventItem => [name.trim(), value]).filter(([name]) => name);
  const input: RuleInput = {
    name: draft.name.trim(),
    enabled: draft.enabled,
    condition: draft.condition,
    zone: zoneKindOf(draft.condition) && draft.zone ? Number(draft.zone) : null,
    object_classes: watchesObjects(draft.condition) ? draft.object_classes : [],
    dwell_seconds: Number(draft.dwell_seconds),
    direction: draft.direction,
    count_threshold: Number(draft.count_threshold),
    speed_kmh: Number(draft.speed_kmh),
    heading_deg: Number(draft.heading_deg),
    tolerance_deg: Number(draft.tolerance_deg),
    event_kind: ownEvents ? draft.event_kind : "",
    event_topic: ownEvents ? draft.event_topic.trim() : "",
    event_items: ownEvents ? Object.fromEntries(items) : {},
    min_duration_seconds: Number(draft.min_duration_seconds),
    schedule: draft.schedule,
    severity: draft.severity,
    raise_alarm: draft.raise_alarm,
    record_event: draft.record_event,
    record_cameras: draft.record_cameras,
    record_seeing_cameras: draft.record_seeing_cameras,
    pre_roll_seconds: Number(draft.pre_roll_seconds),
    post_roll_seconds: Number(draft.post_roll_seconds),
    relay_output: draft.relay_output.trim(),
    relay_device: draft.relay_output.trim() ? draft.relay_device : null,
    relay_seconds: Number(draft.relay_seconds),
    ptz_camera: draft.ptz_camera,
    ptz_preset: draft.ptz_camera === null ? "" : draft.ptz_preset,
    ptz_hold_seconds: Number(draft.ptz_hold_seconds),
    ptz_follow: draft.ptz_camera !== null && draft.ptz_follow,
    announcement: draft.announcement,
    announcement_camera: draft.announcement === null ? null : draft.announcement_camera,
    webhook_url: draft.webhook_url.trim(),
  };
  if (draft.webhook_secret) input.webhook_secret = draft.webhook_secret;
  return input;
}
