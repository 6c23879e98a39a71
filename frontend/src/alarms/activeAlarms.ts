/**
 * The active (unacknowledged) alarms of the cameras the user sees, most urgent first: loaded from the API, then
 * kept current by "alarm.raised" and "alarm.cleared" on the shared /ws/cameras/ socket.
 */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { alarms as alarmsApi } from "../api/endpoints";
import type { Alarm } from "../api/types";
import { listenToCameras } from "../realtime/cameraSocket";

/** The most urgent this many are listed; the rest are counted, and listed as these are acknowledged. */
const LISTED = 100;

export type AlarmMessage =
  | { type: "alarm.raised"; data: Omit<Alarm, "acknowledged_at" | "acknowledged_by" | "comment"> }
  | { type: "alarm.cleared"; data: { id: number; camera: number; acknowledged_by: string | null; acknowledged_at: string; comment: string } };

export interface ActiveAlarms {
  alarms: Alarm[];
  /** Active alarms beyond those listed. */
  more: number;
}

/** High severity first, then the newest. */
function byUrgency(a: Alarm, b: Alarm): number {
  return b.severity - a.severity || Date.parse(b.raised_at) - Date.parse(a.raised_at);
}

function isAlarmMessage(message: any): message is AlarmMessage {
  return (message?.type === "alarm.raised" || message?.type === "alarm.cleared") && typeof message.data?.id === "number";
}

export function applyAlarmMessage(state: ActiveAlarms, message: AlarmMessage): ActiveAlarms {
  const others = state.alarms.filter((alarm) => alarm.id !== message.data.id);
  if (message.type === "alarm.cleared") return { ...state, alarms: others };
  const alarm: Alarm = { acknowledged_at: null, acknowledged_by: null, comment: "", ...message.data };
  return { ...state, alarms: [...others, alarm].sort(byUrgency) };
}

export function useActiveAlarms() {
  const [state, setState] = useState<ActiveAlarms>({ alarms: [], more: 0 });
  const [error, setError] = useState<unknown>(null);
  const latest = useRef(state);
  latest.current = state;
  /** Messages that came while a load was on its way: applied to what it brings, which may predate them. */
  const missed = useRef<AlarmMessage[] | null>(null);

  const load = useCallback(async () => {
    const mine: AlarmMessage[] = [];
    missed.current = mine;
    try {
      const page = await alarmsApi.active(LISTED);
      if (missed.current !== mine) return; // a newer load is on its way
      missed.current = null;
      const loaded = { alarms: [...page.results].sort(byUrgency), more: Math.max(0, page.count - page.results.length) };
      setState(mine.reduce(applyAlarmMessage, loaded));
      setError(null);
    } catch (failure) {
      if (missed.current !== mine) return;
      missed.current = null;
      setError(failure);
    }
  }, []);

  useEffect(() => {
    load();
    return listenToCameras({
      // Whatever was raised or acknowledged while no socket listened is in the database.
      onConnect: load,
      onMessage: (message) => {
        if (!isAlarmMessage(message)) return;
        missed.current?.push(message);
        const { alarms, more } = latest.current;
        // One of those beyond the list was acknowledged: the next most urgent moves up, and the count is down.
        if (message.type === "alarm.cleared" && more && !alarms.some((alarm) => alarm.id === message.data.id)) load();
        setState((current) => applyAlarmMessage(current, message));
      },
    });
  }, [load]);

  /** Acknowledged here: gone from the list at once, whether or not the socket says so too. */
  const remove = useCallback((id: number) => {
    setState((current) => ({ ...current, alarms: current.alarms.filter((alarm) => alarm.id !== id) }));
  }, []);

  return { alarms: state.alarms, more: state.more, error, remove };
}
