/**
 * A day of one camera's recordings: recorded spans and gaps on a zoomable scale (24 h down to minutes), with the
 * day's events marked over them. Click or drag on the recordings bar to play from a moment, click an event's mark
 * to play from its start; drag on the clip lane to choose a span.
 */

import { useRef, useState } from "preact/hooks";
import { clock } from "../components/format";
import {
  HOUR,
  MIN_VIEW,
  pan,
  percent,
  ticks,
  zoom,
  type Recorded,
  type Window,
} from "./timelineMath";
import type { EventMark } from "./useEventMarks";

interface TimelineProps {
  day: Window;
  view: Window;
  recorded: Recorded[];
  events: EventMark[];
  playhead: number | null;
  selection: Window | null;
  /** Null: no clip lane (the role may not download clips). */
  onSelect: ((span: Window) => void) | null;
  onSeek: (moment: number) => void;
  onView: (view: Window) => void;
}

function momentAt(event: PointerEvent | WheelEvent, element: HTMLElement, view: Window, day: Window): number {
  const box = element.getBoundingClientRect();
  const ratio = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  return Math.min(day.end, Math.max(day.start, view.start + ratio * (view.end - view.start)));
}

function describe(view: Window): string {
  const width = view.end - view.start;
  if (width >= 23 * HOUR) return "Whole day";
  const minutes = Math.round(width / 60_000);
  return minutes >= 120 ? `${Math.round(minutes / 60)} hours shown` : `${minutes} minutes shown`;
}

function Scale({ view }: { view: Window }) {
  return (
    <div class="timeline-scale" aria-hidden="true">
      {ticks(view).filter(({ at }) => percent(at, view) > 2 && percent(at, view) < 98).map(({ at, step }) => (
        <span class="tick" style={{ left: `${percent(at, view)}%` }}>{clock(new Date(at), step < 60_000)}</span>
      ))}
    </div>
  );
}

function Spans({ recorded, view }: { recorded: Recorded[]; view: Window }) {
  return (
    <>
      {recorded.filter((r) => r.end > view.start && r.start < view.end).map((r) => {
        const left = Math.max(0, percent(r.start, view));
        const right = Math.min(100, percent(r.end, view));
        return (
          <div class="recorded" data-testid="recorded-span" data-start={new Date(r.start).toISOString()} data-end={new Date(r.end).toISOString()}
            title={`Recorded ${clock(new Date(r.start))} – ${clock(new Date(r.end))}`}
            style={{ left: `${left}%`, width: `max(${right - left}%, 2px)` }} />
        );
      })}
    </>
  );
}

function EventMarks({ marks, view, onSeek }: { marks: EventMark[]; view: Window; onSeek: (moment: number) => void }) {
  return (
    <>
      {marks.filter((mark) => mark.end >= view.start && mark.start <= view.end).map((mark) => {
        const left = Math.max(0, percent(mark.start, view));
        const right = Math.min(100, percent(mark.end, view));
        return (
          // Its own click: a press here must not start the bar's scrub, which would play from the pointer instead.
          <button type="button" class={`event-mark${mark.alarm ? " event-mark-alarm" : ""}`} data-testid="event-mark"
            data-event-id={mark.id} data-start={new Date(mark.start).toISOString()} title={mark.title} aria-label={mark.title}
            style={{ left: `${left}%`, width: `max(${right - left}%, 6px)` }}
            onPointerDown={(event) => event.stopPropagation()} onClick={() => onSeek(mark.start)} />
        );
      })}
    </>
  );
}

function Marker({ moment, view, kind, label }: { moment: number | null; view: Window; kind: string; label?: string }) {
  if (moment === null || moment < view.start || moment > view.end) return null;
  return (
    <div class={`marker marker-${kind}`} style={{ left: `${percent(moment, view)}%` }} data-testid={`marker-${kind}`}>
      {label && <span class="marker-label">{label}</span>}
    </div>
  );
}

function SelectionBox({ selection, view }: { selection: Window | null; view: Window }) {
  if (!selection || selection.end <= view.start || selection.start >= view.end) return null;
  const left = Math.max(0, percent(selection.start, view));
  const right = Math.min(100, percent(selection.end, view));
  return <div class="selection" data-testid="selection" style={{ left: `${left}%`, width: `${right - left}%` }} />;
}

export function Timeline({ day, view, recorded, events, playhead, selection, onSelect, onSeek, onView }: TimelineProps) {
  const track = useRef<HTMLDivElement>(null);
  const lane = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const [scrub, setScrub] = useState<number | null>(null);
  const [dragStart, setDragStart] = useState<number | null>(null);

  function onWheel(event: WheelEvent) {
    event.preventDefault();
    const element = event.currentTarget as HTMLElement;
    if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      const delta = event.shiftKey ? event.deltaY : event.deltaX;
      onView(pan(view, Math.sign(delta) * 0.1, day));
    } else {
      // Proportional to the scroll: a mouse notch (about 100) zooms by a sixth, a trackpad smoothly.
      const factor = Math.min(4, Math.max(0.25, Math.exp(event.deltaY * 0.0015)));
      onView(zoom(view, factor, momentAt(event, element, view, day), day));
    }
  }

  // Recordings bar: press, optionally drag (the scrub marker follows), release to play from there.
  function trackDown(event: PointerEvent) {
    if (event.button !== 0) return;
    track.current!.setPointerCapture(event.pointerId);
    setScrub(momentAt(event, track.current!, view, day));
  }
  function trackMove(event: PointerEvent) {
    const moment = momentAt(event, track.current!, view, day);
    setHover(moment);
    if (scrub !== null) setScrub(moment);
  }
  function trackUp(event: PointerEvent) {
    if (scrub === null) return;
    const moment = momentAt(event, track.current!, view, day);
    setScrub(null);
    onSeek(moment);
  }

  // Clip lane: drag from one end of the span to the other.
  function laneDown(event: PointerEvent) {
    if (event.button !== 0 || !onSelect) return;
    lane.current!.setPointerCapture(event.pointerId);
    const moment = momentAt(event, lane.current!, view, day);
    setDragStart(moment);
    onSelect({ start: moment, end: moment });
  }
  function laneMove(event: PointerEvent) {
    if (dragStart === null || !onSelect) return;
    const moment = momentAt(event, lane.current!, view, day);
    onSelect({ start: Math.min(dragStart, moment), end: Math.max(dragStart, moment) });
  }
  function laneUp() {
    setDragStart(null);
  }

  const center = playhead !== null && playhead >= view.start && playhead <= view.end ? playhead : (view.start + view.end) / 2;
  const wholeDay = view.end - view.start >= day.end - day.start;
  return (
    <div class="timeline" data-testid="timeline" data-view-start={new Date(view.start).toISOString()} data-view-end={new Date(view.end).toISOString()}>
      <div class="timeline-tools">
        <button type="button" title="Earlier" aria-label="Earlier" disabled={view.start <= day.start} onClick={() => onView(pan(view, -0.5, day))}>◀</button>
        <button type="button" title="Zoom out" aria-label="Zoom out" disabled={wholeDay} onClick={() => onView(zoom(view, 2, center, day))}>−</button>
        <button type="button" title="Zoom in" aria-label="Zoom in" disabled={view.end - view.start <= MIN_VIEW} onClick={() => onView(zoom(view, 0.5, center, day))}>+</button>
        <button type="button" title="Later" aria-label="Later" disabled={view.end >= day.end} onClick={() => onView(pan(view, 0.5, day))}>▶</button>
        <button type="button" disabled={wholeDay} onClick={() => onView(day)}>Whole day</button>
        <span class="muted small">
          {describe(view)} · {clock(new Date(view.start), false)}–{view.end >= day.end ? "24:00" : clock(new Date(view.end), false)} · scroll to zoom, drag to play
        </span>
      </div>
      <Scale view={view} />
      <div ref={track} class="timeline-track" data-testid="timeline-track" onWheel={onWheel}
        onPointerDown={trackDown} onPointerMove={trackMove} onPointerUp={trackUp}
        onPointerLeave={() => setHover(null)} onPointerCancel={() => setScrub(null)}>
        <Spans recorded={recorded} view={view} />
        <SelectionBox selection={selection} view={view} />
        <EventMarks marks={events} view={view} onSeek={onSeek} />
        <Marker moment={playhead} view={view} kind="playhead" />
        <Marker moment={scrub ?? hover} view={view} kind="hover" label={clock(new Date(scrub ?? hover ?? 0))} />
      </div>
      {onSelect && (
        <div ref={lane} class="timeline-lane" data-testid="clip-lane" onWheel={onWheel}
          onPointerDown={laneDown} onPointerMove={laneMove} onPointerUp={laneUp} onPointerCancel={laneUp}>
          <SelectionBox selection={selection} view={view} />
          {!selection && <span class="lane-hint">Drag here to choose a clip</span>}
        </div>
      )}
    </div>
  );
}
