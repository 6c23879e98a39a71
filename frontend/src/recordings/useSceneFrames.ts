/**
 * The camera's own boxes kept with its recording, fetched a few minutes at a time around the playhead: asked again
 * when the playhead nears the end of what was fetched or leaves it, not on every frame.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { recordings } from "../api/endpoints";
import { framesOf, type StoredFrame } from "./sceneReplay";
import { MINUTE } from "./timelineMath";

/** What is fetched around the playhead: a little behind it, more ahead, as footage plays forward. */
const BEFORE = MINUTE;
const AFTER = 4 * MINUTE;
/** Asked again this long (ms) before the playhead reaches the end of what was fetched, so the boxes do not stop. */
const LEAD = 30_000;
/** The camera's metadata is stored some seconds after its frame (a row every 10 s): footage more recent than this
 * when asked may have more of it now. */
const SETTLE = 15_000;
/** A span already asked for is not asked again sooner than this (recent footage, or an answer still coming). */
const AGAIN = 10_000;

export interface SceneAsk {
  camera: number;
  start: number;
  end: number;
  /** Until when it was complete: all the camera's metadata up to here was stored when asked. */
  complete: number;
  /** When it was asked, ms since the epoch. */
  asked: number;
}

/** Whether to fetch again, the last fetch having been `last`, with the playhead at `playhead` at `now`. */
export function needsFetch(last: SceneAsk | null, camera: number, playhead: number, now: number): boolean {
  if (!last || last.camera !== camera || playhead < last.start || playhead >= last.end) return true;
  if (playhead < Math.min(last.end - LEAD, last.complete)) return false;
  return now - last.asked >= AGAIN;
}

export function useSceneFrames(camera: number, playhead: number | null): StoredFrame[] {
  const [frames, setFrames] = useState<StoredFrame[]>([]);
  const last = useRef<SceneAsk | null>(null);
  const controller = useRef<AbortController | null>(null);

  useEffect(() => {
    setFrames([]);
    last.current = null;
    return () => controller.current?.abort();
  }, [camera]);

  useEffect(() => {
    if (playhead === null) return;
    const now = Date.now();
    if (!needsFetch(last.current, camera, playhead, now)) return;
    controller.current?.abort();
    const ask = new AbortController();
    controller.current = ask;
    const start = playhead - BEFORE;
    const end = playhead + AFTER;
    const asked: SceneAsk = { camera, start, end, complete: now - SETTLE, asked: now };
    last.current = asked;
    recordings.sceneMetadata(camera, new Date(start), new Date(end), ask.signal).then(
      (metadata) => { if (!ask.signal.aborted) setFrames(framesOf(metadata)); },
      () => {
        if (ask.signal.aborted) return;
        // The footage still plays, only without the camera's boxes; asked again a little later.
        setFrames([]);
        if (last.current === asked) last.current = { ...asked, complete: -Infinity };
      },
    );
  }, [camera, playhead]);

  return frames;
}
