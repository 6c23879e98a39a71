/** How an event's object, length and link to its recording read on screen. */

import type { CameraEvent } from "../api/types";
import { duration } from "../components/format";
import { subjectWords } from "../analytics/vocabulary";

/** The object's class, or the kind of the camera's own event for a rule on those. */
export function objectWords(event: CameraEvent): string {
  return event.object_class ? subjectWords(event.object_class) : "—";
}

export function lengthWords(event: CameraEvent): string {
  if (!event.ended_at) return "Going on";
  return duration((Date.parse(event.ended_at) - Date.parse(event.started_at)) / 1000);
}

/** The camera's recordings page at the event's start. */
export function recordingsLink(event: CameraEvent): string {
  return `/recordings/${event.camera}?at=${encodeURIComponent(event.started_at)}`;
}
