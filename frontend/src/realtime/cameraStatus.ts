/** Camera status pushed over /ws/cameras/: applied to a list of cameras as messages arrive. */

import { useEffect, useRef, useState } from "preact/hooks";
import type { Camera, CameraState, LiveStatus } from "../api/types";
import { listenToCameras, rejoinCameras, type ConnectionState } from "./cameraSocket";

export interface StatusMessage {
  type: "camera.status";
  v: number;
  ts: number;
  data: {
    camera: number;
    status: CameraState;
    last_error?: string;
    codec?: string;
    width?: number | null;
    height?: number | null;
    fps?: number | null;
    bitrate?: number | null;
    last_frame_at?: string | null;
    status_changed_at?: string | null;
  };
}

export function applyStatus(camera: Camera, data: StatusMessage["data"]): Camera {
  const status: LiveStatus = { ...camera.live_status, state: data.status };
  if (data.last_error !== undefined) status.last_error = data.last_error;
  if (data.status_changed_at !== undefined) status.changed_at = data.status_changed_at;
  for (const key of ["codec", "width", "height", "fps", "bitrate", "last_frame_at"] as const) {
    if (data[key] !== undefined) (status as any)[key] = data[key];
  }
  return { ...camera, live_status: status };
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
