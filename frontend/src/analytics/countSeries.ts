/** Counts from the API shaped for a stacked bar chart: one series per zone, direction and class; one bar per bucket. */

import type { Count, CountBucket } from "../api/types";
import { OBJECT_WORDS } from "./vocabulary";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BUCKET_MS: Record<CountBucket, number> = { "15min": 15 * MINUTE, hour: HOUR, day: DAY };

/** How far back each bucket size looks: enough bars to read, few enough to tell apart. */
export const SPAN_MS: Record<CountBucket, number> = { "15min": 6 * HOUR, hour: DAY, day: 7 * DAY };

const PALETTE = ["#4c9aff", "#3fb950", "#d29922", "#f85149", "#a371f7", "#39c5cf", "#db61a2", "#8ddb8c", "#e3b341", "#79c0ff"];

const DIRECTION_WORDS: Record<Count["direction"], string> = { a_to_b: "A→B", b_to_a: "B→A", in: "entered" };

export interface Series {
  key: string;
  label: string;
  colour: string;
  total: number;
}

export interface Bar {
  start: number;
  total: number;
  /** The series' counts stacked from the bottom, in the order of the legend. */
  parts: { series: Series; count: number; below: number }[];
}

const keyOf = (count: Count) => `${count.zone}:${count.direction}:${count.object_class}`;

export function seriesOf(counts: Count[]): Series[] {
  const found = new Map<string, { label: string; total: number }>();
  for (const count of counts) {
    const key = keyOf(count);
    const entry = found.get(key) ?? {
      label: `${count.zone_name} · ${DIRECTION_WORDS[count.direction] ?? count.direction} · ${OBJECT_WORDS[count.object_class] ?? count.object_class}`,
      total: 0,
    };
    entry.total += count.count;
    found.set(key, entry);
  }
  return [...found.entries()]
    .sort(([, a], [, b]) => a.label.localeCompare(b.label))
    .map(([key, { label, total }], index) => ({ key, label, total, colour: PALETTE[index % PALETTE.length] }));
}

export function barsOf(counts: Count[], series: Series[]): Bar[] {
  const buckets = new Map<number, Map<string, number>>();
  for (const count of counts) {
    const start = Date.parse(count.bucket_start);
    const row = buckets.get(start) ?? new Map<string, number>();
    row.set(keyOf(count), (row.get(keyOf(count)) ?? 0) + count.count);
    buckets.set(start, row);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, row]) => {
      let below = 0;
      const parts = series.filter((s) => row.has(s.key)).map((s) => {
        const part = { series: s, count: row.get(s.key)!, below };
        below += part.count;
        return part;
      });
      return { start, total: below, parts };
    });
}

/** Round local times to label the time axis: hours for short spans, midnights for a week. */
export function axisTicks(start: number, end: number, bucket: CountBucket): number[] {
  const ticks: number[] = [];
  if (bucket === "day") {
    const first = new Date(start);
    for (let day = new Date(first.getFullYear(), first.getMonth(), first.getDate() + 1); day.getTime() < end;
      day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) ticks.push(day.getTime());
    return ticks;
  }
  const step = bucket === "hour" ? 4 * HOUR : HOUR;
  const offset = new Date(start).getTimezoneOffset() * MINUTE;
  for (let at = Math.ceil((start - offset) / step) * step + offset; at < end; at += step) ticks.push(at);
  return ticks;
}
