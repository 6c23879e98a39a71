/** One active alarm: how serious, which camera, which rule, what and when; where to look, and acknowledging it. */

import { useState } from "preact/hooks";
import { subjectWords } from "../analytics/vocabulary";
import type { Alarm, Severity } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { clock, dateTime } from "../components/format";
import { AcknowledgeForm } from "./AcknowledgeForm";

const SEVERITY_WORDS: Record<Severity, string> = { 1: "Low", 2: "Medium", 3: "High" };
/** The recording starts this long before the alarm, to show what led to it. */
const LEAD_IN_MS = 5000;

interface AlarmRowProps {
  alarm: Alarm;
  onAcknowledged: (alarm: number) => void;
  /** A link to the camera was followed. */
  onLeave: () => void;
}

export function AlarmRow({ alarm, onAcknowledged, onLeave }: AlarmRowProps) {
  const canLive = useCan(PERMISSION.viewLive);
  const canRecordings = useCan(PERMISSION.viewRecordings);
  const [acknowledging, setAcknowledging] = useState(false);
  const raised = new Date(alarm.raised_at);
  const today = raised.toDateString() === new Date().toDateString();
  const from = new Date(raised.getTime() - LEAD_IN_MS).toISOString();

  return (
    <li class={`alarm severity-${alarm.severity}`} data-alarm-id={alarm.id} data-severity={alarm.severity}>
      <div class="alarm-what">
        <span class="alarm-severity">{SEVERITY_WORDS[alarm.severity] ?? alarm.severity}</span>
        <strong>{alarm.camera_name}</strong>
        <time class="muted" dateTime={alarm.raised_at} title={dateTime(alarm.raised_at)}>
          {today ? clock(raised) : dateTime(alarm.raised_at)}
        </time>
      </div>
      <div class="alarm-rule">
        {alarm.rule_name}
        {alarm.object_class && <span class="muted"> · {subjectWords(alarm.object_class)}</span>}
      </div>
      {acknowledging ? (
        <AcknowledgeForm alarm={alarm.id} onDone={onAcknowledged} onCancel={() => setAcknowledging(false)} />
      ) : (
        <div class="alarm-actions">
          {canLive && <a href={`/live/${alarm.camera}`} onClick={onLeave}>Live</a>}
          {canRecordings && <a href={`/recordings/${alarm.camera}?at=${encodeURIComponent(from)}`} onClick={onLeave}>Recording</a>}
          <span class="spacer" />
          <button type="button" onClick={() => setAcknowledging(true)}>Acknowledge</button>
        </div>
      )}
    </li>
  );
}
