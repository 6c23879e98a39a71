/**
 * The objects radars track, live, while a site plan is open: each radar's `overlay.boxes` on its live socket
 * (/ws/live/<id>/, as a live tile's boxes come), whose boxes are fractions of the plan's picture. Each track keeps a
 * short trail of where it has been.
 */

import { useEffect, useState } from "preact/hooks";
import type { OverlayBox, OverlayBoxes, Point } from "../api/types";
import { ReconnectingSocket } from "../realtime/socket";

/** Positions kept in a track's trail. */
const TRAIL_POINTS = 30;
/** A radar that has sent nothing for this long (ms) shows no tracks: it went silent, or its analytics stopped. */
const STALE_MS = 3_000;

export interface PlanTrack {
  radar: number;
  box: OverlayBox;
  /** Where it is (the box's centre) and was, oldest first; fractions of the plan. */
  trail: Point[];
}

interface RadarSet {
  receivedAt: number;
  tracks: PlanTrack[];
}

function centreOf(box: OverlayBox): Point {
  return [box.x + box.w / 2, box.y + box.h / 2];
}

function followed(previous: PlanTrack[], set: OverlayBoxes, radar: number): PlanTrack[] {
  const before = new Map(previous.map((track) => [track.box.track, track.trail]));
  return set.boxes.map((box) => ({
    radar,
    box,
    trail: [...(before.get(box.track) ?? []), centreOf(box)].slice(-TRAIL_POINTS),
  }));
}

/** The tracks of every radar in `radarIds` now; none while `enabled` is false (the user may not watch live). */
export function useRadarTracks(radarIds: number[], enabled: boolean): PlanTrack[] {
  const [sets, setSets] = useState<Record<number, RadarSet>>({});
  const key = [...radarIds].sort((a, b) => a - b).join(",");

  useEffect(() => {
    if (!enabled || !key) return undefined;
    const listen = (radar: number) => {
      const socket: ReconnectingSocket = new ReconnectingSocket(`/ws/live/${radar}/`, {
        onOpen: () => socket.markHealthy(),
        onText: (message: { type?: string; data?: OverlayBoxes }) => {
          if (message?.type !== "overlay.boxes" || !message.data || !Array.isArray(message.data.boxes)) return;
          const set = message.data;
          setSets((current) => ({
            ...current,
            [radar]: { receivedAt: Date.now(), tracks: followed(current[radar]?.tracks ?? [], set, radar) },
          }));
        },
      });
      return socket;
    };
    const sockets = key.split(",").map(Number).map(listen);
    // A radar that stops sending leaves no frozen dots behind.
    const timer = window.setInterval(() => {
      setSets((current) => {
        const now = Date.now();
        const stale = Object.entries(current).filter(([, set]) => set.tracks.length && now - set.receivedAt > STALE_MS);
        if (!stale.length) return current;
        const next = { ...current };
        stale.forEach(([radar]) => { next[Number(radar)] = { receivedAt: now, tracks: [] }; });
        return next;
      });
    }, 1_000);
    return () => {
      window.clearInterval(timer);
      sockets.forEach((socket) => socket.close());
      setSets({});
    };
  }, [key, enabled]);

  return Object.values(sets).flatMap((set) => set.tracks);
}
