/** Filters of what the cameras reported themselves: which camera, what kind, which topic, on or off, between when. */

import { useState } from "preact/hooks";
import type { DeviceEventFilters } from "../api/endpoints";
import type { Camera } from "../api/types";
import { DEVICE_EVENT_KINDS } from "../analytics/vocabulary";
import { isoOf, localOf } from "./EventFilterForm";

interface DeviceEventFilterFormProps {
  cameras: Camera[];
  filters: DeviceEventFilters;
  onApply: (filters: DeviceEventFilters) => void;
}

export function DeviceEventFilterForm({ cameras, filters, onApply }: DeviceEventFilterFormProps) {
  const [camera, setCamera] = useState(filters.camera ?? "");
  const [kind, setKind] = useState(filters.kind ?? "");
  const [topic, setTopic] = useState(filters.topic ?? "");
  const [state, setState] = useState(filters.state ?? "");
  const [start, setStart] = useState(localOf(filters.start));
  const [end, setEnd] = useState(localOf(filters.end));

  function apply(event: Event) {
    event.preventDefault();
    onApply({ camera, kind, topic: topic.trim(), state, start: isoOf(start), end: isoOf(end) });
  }

  return (
    <form class="filters" onSubmit={apply} data-testid="device-event-filters">
      <label class="field"><span class="field-label">Camera</span>
        <select name="camera" value={camera} onChange={(e) => setCamera(e.currentTarget.value)}>
          <option value="">Any camera</option>
          {cameras.map((c) => <option value={String(c.id)}>{c.name}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">Kind</span>
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="">Any kind</option>
          {DEVICE_EVENT_KINDS.map(([value, words]) => <option value={value}>{words}</option>)}
        </select>
      </label>
      <label class="field"><span class="field-label">ONVIF topic</span>
        <input name="topic" value={topic} placeholder="tns1:Device/Trigger" spellcheck={false}
          title="This topic and its subtopics" onInput={(e) => setTopic(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">State</span>
        <select name="state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
          <option value="">Any</option>
          <option value="true">On</option>
          <option value="false">Off</option>
        </select>
      </label>
      <label class="field"><span class="field-label">From</span>
        <input type="datetime-local" name="start" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
      </label>
      <label class="field"><span class="field-label">To</span>
        <input type="datetime-local" name="end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
      </label>
      <div class="field buttons">
        <button type="submit" class="primary">Show</button>
        <button type="button" onClick={() => onApply({})}>Clear</button>
      </div>
    </form>
  );
}
