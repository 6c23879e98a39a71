/** Which day of recordings to show: the day before, a date, the day after, today. */

import { dayKey, shiftDay } from "./timelineMath";

export function DayPicker({ day, onChange }: { day: string; onChange: (day: string) => void }) {
  const today = dayKey(new Date());
  return (
    <div class="day-picker">
      <button type="button" aria-label="Day before" title="Day before" onClick={() => onChange(shiftDay(day, -1))}>‹</button>
      <input type="date" aria-label="Day" value={day} max={today} onChange={(e) => e.currentTarget.value && onChange(e.currentTarget.value)} />
      <button type="button" aria-label="Day after" title="Day after" disabled={day >= today} onClick={() => onChange(shiftDay(day, 1))}>›</button>
      <button type="button" disabled={day === today} onClick={() => onChange(today)}>Today</button>
    </div>
  );
}
