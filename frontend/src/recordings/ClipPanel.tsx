/** Choose a span of the day (typed, dragged, or at the playhead) and download it as an MP4 clip, or export it redacted. */

import { recordings } from "../api/endpoints";
import { clock, duration } from "../components/format";
import { recordedSeconds, type Recorded, type Window } from "./timelineMath";

interface ClipPanelProps {
  camera: number;
  day: Window;
  selection: Window | null;
  recorded: Recorded[];
  playhead: number | null;
  onSelect: (span: Window | null) => void;
  /** Open the redacted export of the chosen span. */
  onRedactedExport: () => void;
}

/** "HH:MM[:SS]" on the day, in ms; null when not a time. */
function parseTime(text: string, day: Window): number | null {
  const match = text.match(/^(\d{1,2}):(\d{2})(?::(\d{2}))?$/);
  if (!match) return null;
  const date = new Date(day.start);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate(), Number(match[1]), Number(match[2]), Number(match[3] ?? 0)).getTime();
}

function timeValue(moment: number | undefined): string {
  return moment === undefined ? "" : clock(new Date(moment));
}

export function ClipPanel({ camera, day, selection, recorded, playhead, onSelect, onRedactedExport }: ClipPanelProps) {
  const start = selection?.start;
  const end = selection?.end;

  function setEdge(edge: "start" | "end", moment: number | null) {
    if (moment === null) return;
    const next = { start: start ?? moment, end: end ?? moment, [edge]: moment } as Window;
    onSelect(next.start <= next.end ? next : { start: next.end, end: next.start });
  }

  const length = selection ? (selection.end - selection.start) / 1000 : 0;
  const withFootage = selection ? recordedSeconds(recorded, selection.start, selection.end) : 0;
  const ready = selection !== null && length >= 1 && withFootage > 0;
  let note = "Choose a span: drag on the clip lane under the timeline, or type its start and end.";
  if (selection && length < 1) note = "The clip must be at least one second long.";
  else if (selection && withFootage === 0) note = "No recordings in the chosen span.";
  else if (selection) note = `Clip of ${duration(length)}, ${duration(withFootage)} of it recorded.`;

  return (
    <div class="clip-panel card" data-testid="clip-panel">
      <h2>Clip</h2>
      <div class="field-row">
        <label class="field">
          <span class="field-label">From</span>
          <input type="time" step={1} name="clip-start" value={timeValue(start)}
            onChange={(e) => setEdge("start", parseTime(e.currentTarget.value, day))} />
        </label>
        <label class="field">
          <span class="field-label">To</span>
          <input type="time" step={1} name="clip-end" value={timeValue(end)}
            onChange={(e) => setEdge("end", parseTime(e.currentTarget.value, day))} />
        </label>
        <div class="field buttons">
          <button type="button" disabled={playhead === null} onClick={() => setEdge("start", playhead)}>Start at playhead</button>
          <button type="button" disabled={playhead === null} onClick={() => setEdge("end", playhead)}>End at playhead</button>
          <button type="button" disabled={!selection} onClick={() => onSelect(null)}>Clear</button>
        </div>
      </div>
      <p class={selection && !ready ? "warning" : "muted"} data-testid="clip-note">{note}</p>
      {ready
        ? <a class="button primary" data-testid="download-clip" download
            href={recordings.clipUrl(camera, new Date(selection.start), new Date(selection.end))}>Download clip (MP4)</a>
        : <button type="button" class="primary" disabled>Download clip (MP4)</button>}
      <button type="button" class="redacted-export" disabled={!ready} onClick={onRedactedExport}>Redacted export…</button>
    </div>
  );
}
