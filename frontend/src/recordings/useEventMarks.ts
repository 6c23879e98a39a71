/** The events of a camera's day, as marks on the timeline: when each started and ended, and whether it raised an alarm. */

import { useEffect, useState } from "preact/hooks";
import { events } from "../api/endpoints";
import type { CameraEvent } from "../api/types";
import { subjectWords } from "../analytics/vocabulary";
import { clock } from "../components/format";
import type { Window } from "./timelineMath";

const REFRESH_TODAY_MS = 30_000;

export interface EventMark {
  id: number;
  start: number;
  /** Now, for an event still going on. */
  end: number;
  alarm: boolean;
  title: string;
}

function markOf(event: CameraEvent): EventMark {
  const start = Date.parse(event.started_at);
  const object = event.object_class ? ` · ${subjectWords(event.object_class)}` : "";
  return {
    id: event.id,
    start,
    end: event.ended_at ? Date.parse(event.ended_at) : Math.max(start, Date.now()),
    alarm: event.alarm !== null,
    title: `${event.rule_name}${object} · ${clock(new Date(start))}`,
  };
}

export function useEventMarks(camera: number, day: Window): EventMark[] {
  const [marks, setMarks] = useState<EventMark[]>([]);

  useEffect(() => {
    setMarks([]);
    const controller = new AbortController();
    // The marks add to the timeline; without them (events unreachable) the recordings still play, so no message.
    const load = () =>
      events.during(camera, new Date(day.start), new Date(day.end), controller.signal).then(
        (found) => setMarks(found.map(markOf)),
        () => undefined,
      );
    load();
    const today = Date.now() >= day.start && Date.now() < day.end;
    const timer = today ? window.setInterval(load, REFRESH_TODAY_MS) : undefined;
    return () => { controller.abort(); window.clearInterval(timer); };
  }, [camera, day.start, day.end]);

  return marks;
}
