/** Time arithmetic of the timeline: days, the visible window, zoom, ticks, and where recordings are. */

import type { Span } from "../api/types";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** The narrowest view: a few minutes, where single seconds can be picked. */
export const MIN_VIEW = 2 * MINUTE;

export interface Window {
  start: number;
  end: number;
}

/** Spans as numbers (ms), sorted. */
export interface Recorded {
  start: number;
  end: number;
}

export function recordedOf(spans: Span[]): Recorded[] {
  return spans.map((s) => ({ start: Date.parse(s.start), end: Date.parse(s.end) })).sort((a, b) => a.start - b.start);
}

/** "2026-11-21" of a local date. */
export function dayKey(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local day named by "YYYY-MM-DD" (today if the text is not a date): [midnight, next midnight). */
export function dayWindow(key: string | null): Window {
  const match = key?.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  const base = match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : new Date();
  const start = new Date(base.getFullYear(), base.getMonth(), base.getDate());
  const end = new Date(base.getFullYear(), base.getMonth(), base.getDate() + 1); // 23 or 25 h on DST days
  return { start: start.getTime(), end: end.getTime() };
}

export function shiftDay(key: string, days: number): string {
  const { start } = dayWindow(key);
  const date = new Date(start);
  return dayKey(new Date(date.getFullYear(), date.getMonth(), date.getDate() + days));
}

/** Zoom by `factor` (<1 in, >1 out) keeping the moment `anchor` where it is on screen, within `limits`. */
export function zoom(view: Window, factor: number, anchor: number, limits: Window): Window {
  const widest = limits.end - limits.start;
  const width = Math.min(widest, Math.max(MIN_VIEW, (view.end - view.start) * factor));
  const ratio = (anchor - view.start) / (view.end - view.start);
  return clampWindow({ start: anchor - ratio * width, end: anchor - ratio * width + width }, limits);
}

export function pan(view: Window, fraction: number, limits: Window): Window {
  const shift = (view.end - view.start) * fraction;
  return clampWindow({ start: view.start + shift, end: view.end + shift }, limits);
}

export function clampWindow(view: Window, limits: Window): Window {
  const width = Math.min(view.end - view.start, limits.end - limits.start);
  let start = Math.max(limits.start, Math.min(view.start, limits.end - width));
  start = Math.round(start);
  return { start, end: start + Math.round(width) };
}

/** Bring `moment` into view (moving, not zooming) when it has left it. */
export function follow(view: Window, moment: number, limits: Window): Window {
  if (moment >= view.start && moment <= view.end) return view;
  const width = view.end - view.start;
  return clampWindow({ start: moment - width * 0.1, end: moment + width * 0.9 }, limits);
}

const TICK_STEPS = [10_000, 30_000, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR];

/** Tick marks at round local times, about `count` of them across the view. */
export function ticks(view: Window, count = 12): { at: number; step: number }[] {
  const width = view.end - view.start;
  const step = TICK_STEPS.find((s) => width / s <= count) ?? 6 * HOUR;
  const offset = new Date(view.start).getTimezoneOffset() * MINUTE;
  const first = Math.ceil((view.start - offset) / step) * step + offset;
  const result = [];
  for (let at = first; at <= view.end; at += step) result.push({ at, step });
  return result;
}

/** The recording holding `moment`, if any. */
export function recordingAt(recorded: Recorded[], moment: number): Recorded | undefined {
  return recorded.find((r) => moment >= r.start && moment < r.end);
}

/** The start of the first recording after `moment` (strictly later). */
export function nextRecording(recorded: Recorded[], moment: number): Recorded | undefined {
  return recorded.find((r) => r.start > moment + 500);
}

/** Where "previous" goes: the start of this recording if well into it, else the start of the one before. */
export function previousRecording(recorded: Recorded[], moment: number): Recorded | undefined {
  const earlier = recorded.filter((r) => r.start < moment - 2000);
  return earlier[earlier.length - 1];
}

/** Seconds of recording inside [start, end). */
export function recordedSeconds(recorded: Recorded[], start: number, end: number): number {
  let total = 0;
  for (const r of recorded) total += Math.max(0, Math.min(r.end, end) - Math.max(r.start, start));
  return total / 1000;
}

export function percent(moment: number, view: Window): number {
  return ((moment - view.start) / (view.end - view.start)) * 100;
}
