/** What rule conditions, objects, crossing directions and severities are called on screen. */

import type { CrossingDirection, ObjectClass, RuleCondition, Severity } from "../api/types";

export const CONDITIONS: [RuleCondition, string][] = [
  ["enter", "An object enters the area"],
  ["dwell", "An object stays in the area (loitering)"],
  ["cross", "An object crosses the line"],
  ["count", "Too many objects in the area"],
  ["motion", "Motion in the area"],
  ["offline", "The camera goes offline"],
  ["tamper", "The camera is tampered with (covered, moved, out of focus)"],
];

export const CONDITION_WORDS = Object.fromEntries(CONDITIONS) as Record<RuleCondition, string>;

/** Short names for lists. */
export const CONDITION_SHORT: Record<RuleCondition, string> = {
  enter: "Enters",
  dwell: "Loitering",
  cross: "Crosses",
  count: "Too many",
  motion: "Motion",
  offline: "Offline",
  tamper: "Tampering",
};

export const OBJECT_CLASSES: [ObjectClass, string][] = [
  ["person", "Person"],
  ["bicycle", "Bicycle"],
  ["car", "Car"],
  ["motorcycle", "Motorcycle"],
  ["bus", "Bus"],
  ["truck", "Truck"],
];

export const OBJECT_WORDS = Object.fromEntries(OBJECT_CLASSES) as Record<ObjectClass, string>;

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
