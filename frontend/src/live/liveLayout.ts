/** The live grid's layout (size and which camera in which cell), kept per user in the server's preferences. */

import { useEffect, useRef, useState } from "preact/hooks";
import { auth } from "../api/endpoints";
import type { LiveLayout, Preferences } from "../api/types";

export const GRID_SIZES: LiveLayout["grid"][] = [1, 4, 9, 16];
const MAX_CELLS = 16;
const SAVE_AFTER_MS = 400;

export function columnsOf(grid: LiveLayout["grid"]): number {
  return Math.round(Math.sqrt(grid));
}

/** A layout from whatever the preferences hold; a first-time user gets the first cameras in a 2x2 grid. */
export function normalise(stored: unknown, cameraIds: number[]): LiveLayout {
  const layout = (stored && typeof stored === "object" ? stored : {}) as Partial<LiveLayout>;
  const grid = GRID_SIZES.includes(layout.grid as LiveLayout["grid"]) ? (layout.grid as LiveLayout["grid"]) : 4;
  const known = new Set(cameraIds);
  const cells = Array.isArray(layout.cameras)
    ? layout.cameras.map((id) => (typeof id === "number" && known.has(id) ? id : null))
    : cameraIds.slice(0, grid);
  while (cells.length < MAX_CELLS) cells.push(null);
  return { grid, cameras: cells.slice(0, MAX_CELLS) };
}

export interface LayoutState {
  layout: LiveLayout | null;
  error: unknown;
  setGrid: (grid: LiveLayout["grid"]) => void;
  setCell: (index: number, camera: number | null) => void;
}

/** Load the layout once the cameras are known; every change is saved (debounced) without blocking the view. */
export function useLiveLayout(cameraIds: number[] | null): LayoutState {
  const [layout, setLayout] = useState<LiveLayout | null>(null);
  const [error, setError] = useState<unknown>(null);
  const preferences = useRef<Preferences>({});
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (!cameraIds) return;
    auth.preferences().then(
      (stored) => {
        preferences.current = stored ?? {};
        setLayout(normalise(stored?.live, cameraIds));
      },
      (failure) => {
        setError(failure);
        setLayout(normalise(undefined, cameraIds));
      },
    );
  }, [cameraIds === null]);

  useEffect(() => () => window.clearTimeout(timer.current), []);

  function change(next: LiveLayout) {
    setLayout(next);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      try {
        preferences.current = await auth.savePreferences({ ...preferences.current, live: next });
        setError(null);
      } catch (failure) {
        setError(failure);
      }
    }, SAVE_AFTER_MS);
  }

  return {
    layout,
    error,
    setGrid: (grid) => layout && change({ ...layout, grid }),
    setCell: (index, camera) => {
      if (!layout) return;
      const cameras = [...layout.cameras];
      cameras[index] = camera;
      change({ ...layout, cameras });
    },
  };
}
