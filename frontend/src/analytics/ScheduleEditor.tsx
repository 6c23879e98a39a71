/** Time windows on chosen days: when a rule is active (no window: always), or when a PTZ tour runs by itself. */

import type { ScheduleWindow } from "../api/types";
import { nestedFieldErrors } from "../components/Field";
import { DAYS } from "./vocabulary";

interface ScheduleEditorProps {
  schedule: ScheduleWindow[];
  onChange: (schedule: ScheduleWindow[]) => void;
  /** The last failed save, for what the API said about the schedule. */
  error: unknown;
  /** What having no time window means. */
  withoutWindows?: string;
}

const WORKING_HOURS: ScheduleWindow = { days: [0, 1, 2, 3, 4], start: "08:00", end: "18:00" };

const ALWAYS = "Always active. Add a time window to limit the rule to some days and hours.";

export function ScheduleEditor({ schedule, onChange, error, withoutWindows = ALWAYS }: ScheduleEditorProps) {
  const change = (index: number, window: ScheduleWindow) => onChange(schedule.map((old, i) => (i === index ? window : old)));
  const withDay = (days: number[], day: number, on: boolean) =>
    on ? [...new Set([...days, day])].sort((a, b) => a - b) : days.filter((d) => d !== day);
  const messages = nestedFieldErrors(error, "schedule");

  return (
    <fieldset class="schedule" data-testid="schedule">
      <legend>Schedule</legend>
      {schedule.length === 0 && (
        <p class="muted small" data-testid="schedule-always">{withoutWindows}</p>
      )}
      {schedule.map((window, index) => (
        <fieldset class="schedule-window" data-testid="schedule-window">
          <legend>Time window {index + 1}</legend>
          <div class="days">
            {DAYS.map(([day, short, long]) => (
              <label class="day" title={long}>
                <input type="checkbox" aria-label={long} checked={window.days.includes(day)}
                  onChange={(e) => change(index, { ...window, days: withDay(window.days, day, e.currentTarget.checked) })} />
                {short}
              </label>
            ))}
          </div>
          <label class="field">
            <span class="field-label">From</span>
            <input type="time" required value={window.start} onInput={(e) => change(index, { ...window, start: e.currentTarget.value })} />
          </label>
          <label class="field">
            <span class="field-label">Until</span>
            <input type="time" required value={window.end} onInput={(e) => change(index, { ...window, end: e.currentTarget.value })} />
          </label>
          <button type="button" class="link danger-text" onClick={() => onChange(schedule.filter((_, i) => i !== index))}>
            Remove
          </button>
        </fieldset>
      ))}
      {messages.map((message) => <div class="field-error" role="alert">{message}</div>)}
      <button type="button" onClick={() => onChange([...schedule, WORKING_HOURS])}>Add time window</button>
    </fieldset>
  );
}
