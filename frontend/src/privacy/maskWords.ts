/** What mask styles and dynamic masking are called on screen. */

import type { DynamicMasking, MaskStyle } from "../api/types";

export const MASK_STYLES: [MaskStyle, string][] = [
  ["solid", "Solid colour"],
  ["mosaic", "Mosaic"],
  ["blur", "Blur"],
];

export const MASK_STYLE_WORDS = Object.fromEntries(MASK_STYLES) as Record<MaskStyle, string>;

export const DYNAMIC_MASKING: [DynamicMasking, string][] = [
  ["", "None"],
  ["motion", "Everything that moves"],
  ["people", "People"],
  ["background", "Background: show only people"],
];

/** "Masking uses 4.2 % of a CPU core": tenths only where they matter. */
export function maskingCostWords(percent: number): string {
  return `Masking uses ${Number(percent.toFixed(percent < 10 ? 1 : 0))} % of a CPU core`;
}
