/**
 * The app's one /ws/cameras/ socket, shared by all that listen to it (camera status, alarms): opened for the
 * first listener, closed after the last. It joins the groups of the cameras the user sees when it connects.
 */

import { ReconnectingSocket } from "./socket";

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "forbidden";

export interface CameraSocketListener {
  onMessage?: (message: any) => void;
  /** Connected, the first time or again: what changed while no socket listened is in the database. */
  onConnect?: () => void;
  onConnection?: (state: ConnectionState) => void;
}

const listeners = new Set<CameraSocketListener>();
let socket: ReconnectingSocket | null = null;
let connection: ConnectionState = "connecting";

function setConnection(state: ConnectionState): void {
  connection = state;
  listeners.forEach((listener) => listener.onConnection?.(state));
}

/** Listen until the returned function is called. */
export function listenToCameras(listener: CameraSocketListener): () => void {
  listeners.add(listener);
  if (!socket) {
    connection = "connecting";
    socket = new ReconnectingSocket("/ws/cameras/", {
      onOpen: () => {
        socket?.markHealthy();
        setConnection("connected");
        listeners.forEach((each) => each.onConnect?.());
      },
      onText: (message) => listeners.forEach((each) => each.onMessage?.(message)),
      onDrop: () => setConnection("reconnecting"),
      onForbidden: () => setConnection("forbidden"),
    });
  }
  listener.onConnection?.(connection);
  return () => {
    listeners.delete(listener);
    if (!listeners.size) {
      socket?.close();
      socket = null;
    }
  };
}

/** Connect again, to join the groups of cameras added since the socket connected. */
export function rejoinCameras(): void {
  socket?.reconnect();
}
