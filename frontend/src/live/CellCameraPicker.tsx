/** Which camera a cell of the live grid shows. */

import type { Camera } from "../api/types";

export function CellCameraPicker({ cameras, value, onChange, index }: {
  cameras: Camera[]; value: number | null; onChange: (camera: number | null) => void; index: number;
}) {
  return (
    <select class="cell-picker" aria-label={`Camera in cell ${index + 1}`} value={value ?? ""}
      onClick={(event) => event.stopPropagation()}
      onChange={(event) => onChange(event.currentTarget.value ? Number(event.currentTarget.value) : null)}>
      <option value="">No camera</option>
      {cameras.map((camera) => <option value={camera.id}>{camera.name}</option>)}
    </select>
  );
}
