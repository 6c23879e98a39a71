/** Camera status pushed over /ws/cameras/: applied to a list of cameras as messages arrive. */

import { useEffect, useRef, useState } from "preact/hooks";
import type { Camera, LiveStatus } from "../api/types";
import { listenToCameras, rejoinCameras, type ConnectionState } from "./cameraSocket";

/** "camera.status": the camera's live status, in the same shape as `live_status` of the camera in the API. */
export interface StatusMessage {
  type: "camera.status";
  v: number;
  ts: number;
  data: {
    camera: number;
    live_status: LiveStatus;
  };
}

export function applyStatus(camera: Camera, data: StatusMessage["data"]): Camera {
  return { ...camera, live_status: data.live_status };
}

/**
 * A list loaded from the API, keeping any status pushed meanwhile that is newer than the list's: a push that arrives
 * while the list is on its way must not be undone by it.
 */
export function withNewerStatus(loaded: Camera[], current: Camera[] | null): Camera[] {
  const known = new Map(current?.map((camera) => [camera.id, camera.live_status]));
  return loaded.map((camera) => {
    const pushed = known.get(camera.id);
    const newer = pushed?.changed_at && (!camera.live_status.changed_at || pushed.changed_at > camera.live_status.changed_at);
    return newer ? { ...camera, live_status: pushed } : camera;
  });
}

export type { ConnectionState };

/**
 * Keep `cameras` up to date with pushed status. The socket joins the cameras the user sees when it connects,
 * so it reconnects whenever the set of cameras changes; after each connect `resync` reloads the list from
 * the database, which covers what changed while no socket listened (and the race with the first load).
 */
export function useCameraStatus(
  cameraIds: number[],
  onStatus: (data: StatusMessage["data"]) => void,
  resync: () => void,
): ConnectionState {
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const handlers = useRef({ onStatus, resync });
  handlers.current = { onStatus, resync };
  const idsKey = [...cameraIds].sort((a, b) => a - b).join(",");
  const lastKey = useRef<string | null>(null);

  useEffect(() => listenToCameras({
    onConnection: setConnection,
    onConnect: () => handlers.current.resync(),
    onMessage: (message: StatusMessage) => {
      if (message?.type === "camera.status" && message.data) handlers.current.onStatus(message.data);
    },
  }), []);

  useEffect(() => {
    if (lastKey.current !== null && lastKey.current !== idsKey) rejoinCameras();
    lastKey.current = idsKey;
  }, [idsKey]);

  return connection;
}
