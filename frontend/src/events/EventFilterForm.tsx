/** Filters of the events: which camera and rule, what object, between when, with or without an alarm. */

import { useEffect, useState } from "preact/hooks";
import { rules as rulesApi, type EventFilters } from "../api/endpoints";
import type { Camera, Rule } from "../api/types";
import { OBJECT_CLASSES } from "../analytics/vocabulary";

/** <input type="datetime-local"> is local time without an offset; the API wants one. */
export function isoOf(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

/** The datetime-local value ("2026-11-21T14:05") of an ISO time, for filters that came in the address. */
export function localOf(iso: string | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

interface EventFilterFormProps {
  cameras: Camera[];
  filters: EventFilters;
  onApply: (filters: EventFilters) => void;
}

export function EventFilterForm({ cameras, filters, onApply }: EventFilterFormProps) {
  const [camera, setCamera] = useState(filters.camera ?? "");
  const [rule, setRule] = useState(filters.rule ?? "");
  const [objectClass, setObjectClass] = useState(filters.object_class ?? "");
  const [start, setStart] = useState(localOf(filters.start));
  const [end, setEnd] = useState(localOf(filters.end));
  const [alarm, setAlarm] = useState(filters.has_alarm ?? "");
  const [rules, setRules] = useState<Rule[]>([]);

  // Rules belong to a camera: the rule filter lists the chosen camera's.
  useEffect(() => {
    setRules([]);
    if (camera) rulesApi.list(Number(camera)).then(setRules, () => undefined);
  }, [camera]);

  function apply(event: Event) {
    event.preventDefault();
    onApply({ camera, rule: camera ? rule : "", object_class: objectClass, start: isoOf(start), end: isoOf(end), has_alarm: alarm });
  }

  return (
    <form class="filters" onSubmit={apply} data-testid="event-filters">
      <label class="field"><span class="field-label">Camera</span>
        <select name="camera" value={camera} onChange={(e) => { setCamera(e.currentTarget.value); setRule(""); }}>
          <option value="">Any camera</option>
          {cameras.map((c) => <option value={String(c.id)}>{c.name}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">Rule</span>
        <select name="rule" value={rule} disabled={!camera} onChange={(e) => setRule(e.currentTarget.value)}>
          <option value="">{camera ? "Any rule" : "Choose a camera first"}</option>
          {rules.map((r) => <option value={String(r.id)}>{r.name}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">Object</span>
        <select name="object_class" value={objectClass} onChange={(e) => setObjectClass(e.currentTarget.value)}>
          <option value="">Any object</option>
          {OBJECT_CLASSES.map(([value, words]) => <option value={value}>{words}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">From</span>
        <input type="datetime-local" name="start" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">To</span>
        <input type="datetime-local" name="end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">Alarm</span>
        <select name="has_alarm" value={alarm} onChange={(e) => setAlarm(e.currentTarget.value)}>
          <option value="">With or without</option>
          <option value="true">Raised an alarm</option>
          <option value="false">No alarm</option>
        </select>
      </label>
      <div class="field buttons">
        <button type="submit" class="primary">Show</button>
        <button type="button" onClick={() => onApply({})}>Clear</button>
      </div>
    </form>
  );
}
