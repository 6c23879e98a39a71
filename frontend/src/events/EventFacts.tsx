/** What is known about one event: its picture, camera, rule, object, when and how long, and whether it raised an alarm. */

import type { CameraEvent } from "../api/types";
import { CONDITION_WORDS } from "../analytics/vocabulary";
import { dateTime } from "../components/format";
import { lengthWords, objectWords, recordingsLink } from "./eventWords";

export function EventFacts({ event }: { event: CameraEvent }) {
  return (
    <aside class="card event-facts" data-testid="event-facts">
      {event.snapshot_url
        ? <img class="event-snapshot" src={event.snapshot_url} alt={`What ${event.rule_name} saw`} />
        : <div class="muted">No picture of this event.</div>}
      <dl class="facts-list">
        <dt>Camera</dt><dd>{event.camera_name}</dd>
        <dt>Rule</dt><dd>{event.rule_name}</dd>
        <dt>What</dt><dd>{CONDITION_WORDS[event.condition] ?? event.condition}</dd>
        <dt>Object</dt><dd>{objectWords(event)}</dd>
        <dt>Started</dt><dd>{dateTime(event.started_at)}</dd>
        <dt>Lasted</dt><dd>{lengthWords(event)}</dd>
        <dt>Alarm</dt><dd data-testid="event-alarm">{event.alarm === null ? "No" : "Yes"}</dd>
      </dl>
      <a href={recordingsLink(event)}>Open in recordings</a>
    </aside>
  );
}
