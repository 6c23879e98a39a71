/**
 * The alarms in the header of every page: a bell counting the active alarms, a beep while there are any, and
 * the list of them, most urgent first, to look at each and acknowledge it.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../components/Notice";
import { useActiveAlarms } from "./activeAlarms";
import { AlarmRow } from "./AlarmRow";
import { useAlarmSound, useMuted } from "./alarmSound";

export function AlarmBell() {
  const { alarms, more, error, remove } = useActiveAlarms();
  const [open, setOpen] = useState(false);
  const [muted, setMuted] = useMuted();
  const root = useRef<HTMLDivElement>(null);
  const count = alarms.length + more;
  useAlarmSound(count > 0 && !muted);

  // The list closes on Escape and on a click anywhere else.
  useEffect(() => {
    if (!open) return undefined;
    // The path as dispatched: a button the click itself replaced (Acknowledge opening its form) is no longer inside.
    const onClick = (event: MouseEvent) => {
      if (root.current && !event.composedPath().includes(root.current)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("click", onClick);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div class="alarms" ref={root}>
      <button type="button" class={`alarm-bell${count ? " ringing" : ""}`} data-alarm-count={count}
        aria-label={count ? `Alarms: ${count} active` : "Alarms"} aria-expanded={open} aria-controls="alarm-panel"
        onClick={() => setOpen(!open)}>
        Alarms{count > 0 && <span class="badge">{count > 99 ? "99+" : count}</span>}
      </button>
      {open && (
        <section id="alarm-panel" class="alarm-panel" aria-label="Active alarms">
          <div class="alarm-panel-title">
            <h2>Active alarms</h2>
            <span class="spacer" />
            <button type="button" aria-pressed={muted} title="No beep while alarms are active" onClick={() => setMuted(!muted)}>Mute</button>
          </div>
          <ErrorNote error={error} title="The alarms could not be loaded." />
          {!alarms.length && !error && <p class="muted">No active alarms.</p>}
          <ul class="alarm-list">
            {alarms.map((alarm) => <AlarmRow key={alarm.id} alarm={alarm} onAcknowledged={remove} onLeave={() => setOpen(false)} />)}
          </ul>
          {more > 0 && <p class="muted small">{more} more active; they are listed as these are acknowledged.</p>}
        </section>
      )}
    </div>
  );
}
