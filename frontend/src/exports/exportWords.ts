/** How an export's status, what it redacts, its tracks and its span read on screen. */

import type { Export, ExportStatus, MaskStyle, RedactKind, TrackKind } from "../api/types";
import { clock, dateTime, duration } from "../components/format";

export const STATUS_WORDS: Record<ExportStatus, string> = {
  detecting: "Finding what to redact",
  review: "Waiting for review",
  approval: "Waiting for someone else's approval",
  rendering: "Rendering",
  done: "Done",
  failed: "Failed",
};

/** Statuses in which the export's progress still moves. */
export const WORKING: ReadonlySet<ExportStatus> = new Set(["detecting", "rendering"]);

export const REDACT_KINDS: [RedactKind, string][] = [
  ["faces", "Faces"],
  ["people", "People"],
  ["motion", "All moving objects"],
  ["text", "Licence plates and text"],
];

const REDACT_WORDS = Object.fromEntries(REDACT_KINDS) as Record<RedactKind, string>;

/** The styles an export masks in (the privacy masks' styles; a redaction's solid fill is always black). */
export const REDACTION_STYLES: [MaskStyle, string][] = [
  ["blur", "Blur"],
  ["mosaic", "Mosaic"],
  ["solid", "Solid (maximum privacy)"],
];

export const REDACTION_STYLE_WORDS = Object.fromEntries(REDACTION_STYLES) as Record<MaskStyle, string>;

export const TRACK_WORDS: Record<TrackKind, string> = {
  face: "Face",
  person: "Person",
  motion: "Moving object",
  text: "Licence plate or text",
};

export function redactWords(item: Pick<Export, "redact" | "areas">): string {
  const found = item.redact.map((kind) => REDACT_WORDS[kind] ?? kind);
  if (item.areas.length) found.push(item.areas.length === 1 ? "1 fixed area" : `${item.areas.length} fixed areas`);
  return found.length ? found.join(", ") : "Nothing (a plain copy)";
}

/** "21 Nov 2026, 14:05:00 – 14:07:30 (2 min 30 s)" */
export function spanWords(start: string | number, end: string | number): string {
  const from = new Date(start);
  const to = new Date(end);
  return `${dateTime(from.toISOString())} – ${clock(to)} (${duration((to.getTime() - from.getTime()) / 1000)})`;
}
