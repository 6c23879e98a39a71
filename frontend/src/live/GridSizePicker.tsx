/** Buttons that choose the live grid: 1, 2x2, 3x3 or 4x4 cameras. */

import type { LiveLayout } from "../api/types";
import { columnsOf, GRID_SIZES } from "./liveLayout";

export function GridSizePicker({ grid, onChange }: { grid: LiveLayout["grid"]; onChange: (grid: LiveLayout["grid"]) => void }) {
  return (
    <div class="segmented" role="group" aria-label="Grid size">
      {GRID_SIZES.map((size) => (
        <button type="button" aria-pressed={grid === size} onClick={() => onChange(size)} data-grid={size}>
          {size === 1 ? "1" : `${columnsOf(size)}×${columnsOf(size)}`}
        </button>
      ))}
    </div>
  );
}
