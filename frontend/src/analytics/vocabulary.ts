/** What rule conditions (a camera's, a radar's, an I/O module's), objects, the kinds of cameras' own events, crossing
 * directions and severities are called on screen. */

import type { CrossingDirection, DeviceEventKind, ObjectClass, Rule, RuleCondition, Severity } from "../api/types";

export const CONDITIONS: [RuleCondition, string][] = [
  ["enter", "An object enters the area"],
  ["dwell", "An object stays in the area (loitering)"],
  ["cross", "An object crosses the line"],
  ["count", "Too many objects in the area"],
  ["motion", "Motion in the area"],
  ["offline", "The camera goes offline"],
  ["tamper", "The camera is tampered with (covered, moved, out of focus)"],
  ["camera_event", "The camera reports an event (its own motion, tamper, input or analytics)"],
];

/** A radar's rules watch areas on its site plan: who enters, how fast, which way. */
export const RADAR_CONDITIONS: [RuleCondition, string][] = [
  ["enter", "An object enters the area (intrusion)"],
  ["speed", "An object in the area is faster than a speed"],
  ["heading", "An object in the area moves a given way"],
];

/** An I/O module has no picture: its rules watch what it reports itself, its digital inputs above all. */
export const IO_MODULE_CONDITIONS: [RuleCondition, string][] = [
  ["camera_event", "The I/O module reports an event (a digital input)"],
];

export const CONDITION_WORDS = Object.fromEntries([...CONDITIONS, ...RADAR_CONDITIONS.slice(1)]) as Record<RuleCondition, string>;

/** Short names for lists. */
export const CONDITION_SHORT: Record<RuleCondition, string> = {
  enter: "Enters",
  dwell: "Loitering",
  cross: "Crosses",
  count: "Too many",
  motion: "Motion",
  offline: "Offline",
  tamper: "Tampering",
  camera_event: "Camera event",
  speed: "Too fast",
  heading: "Moving that way",
};

export const OBJECT_CLASSES: [ObjectClass, string][] = [
  ["person", "Person"],
  ["bicycle", "Bicycle"],
  ["car", "Car"],
  ["motorcycle", "Motorcycle"],
  ["bus", "Bus"],
  ["truck", "Truck"],
];

/** What a radar tells apart. */
export const RADAR_OBJECT_CLASSES: [ObjectClass, string][] = [
  ["person", "Person"],
  ["vehicle", "Vehicle"],
  ["unknown", "Unknown object"],
];

export const OBJECT_WORDS = Object.fromEntries([...OBJECT_CLASSES, ...RADAR_OBJECT_CLASSES.slice(1)]) as Record<ObjectClass, string>;

export const DEVICE_EVENT_KINDS: [DeviceEventKind, string][] = [
  ["motion", "Motion"],
  ["tamper", "Tamper (scene changed, too dark or blurry)"],
  ["digital_input", "Digital input"],
  ["line_crossing", "Line crossing (camera rule)"],
  ["field", "Object in area (camera rule)"],
  ["loitering", "Loitering (camera rule)"],
  ["object_counting", "Object counting (camera rule)"],
  ["temperature", "Temperature alarm (thermal camera)"],
  ["other", "Other camera event"],
];

export const DEVICE_EVENT_KIND_WORDS = Object.fromEntries(DEVICE_EVENT_KINDS) as Record<DeviceEventKind, string>;

// Object classes and kinds of camera events share no name.
const SUBJECT_WORDS: Record<string, string> = { ...OBJECT_WORDS, ...DEVICE_EVENT_KIND_WORDS };

/** What an event or alarm is about, in words: the class of its object, or the kind of the camera's own event. */
export function subjectWords(subject: ObjectClass | DeviceEventKind): string {
  return SUBJECT_WORDS[subject] ?? subject;
}

/** A camera event's source or data items, each as "name = value". */
export function itemWords(items: Record<string, string>): string[] {
  return Object.entries(items).map(([name, value]) => `${name} = ${value}`);
}

/** Which of the camera's own events a rule watches: its kind, topic and items, e.g. "Digital input, InputToken = 1". */
export function watchedEventWords(rule: Pick<Rule, "event_kind" | "event_topic" | "event_items">): string {
  const kind = rule.event_kind && DEVICE_EVENT_KIND_WORDS[rule.event_kind];
  return [kind, rule.event_topic, ...itemWords(rule.event_items)].filter(Boolean).join(", ");
}

export const DIRECTIONS: [CrossingDirection, string][] = [
  ["any", "Either way"],
  ["a_to_b", "A→B only (the way the arrow points)"],
  ["b_to_a", "B→A only (against the arrow)"],
];

export const SEVERITIES: [Severity, string][] = [
  [1, "Low"],
  [2, "Medium"],
  [3, "High"],
];

export const SEVERITY_WORDS = Object.fromEntries(SEVERITIES) as Record<Severity, string>;

/** Monday first, as the API numbers days (0 is Monday). */
export const DAYS: [number, string, string][] = [
  [0, "Mon", "Monday"],
  [1, "Tue", "Tuesday"],
  [2, "Wed", "Wednesday"],
  [3, "Thu", "Thursday"],
  [4, "Fri", "Friday"],
  [5, "Sat", "Saturday"],
  [6, "Sun", "Sunday"],
];
