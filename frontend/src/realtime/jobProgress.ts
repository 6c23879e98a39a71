/**
 * Progress of the user's exports, pushed over /ws/jobs/. While that socket is not connected (not yet, dropped,
 * or refused) the page asks the API every 2 s instead, so progress shows either way.
 */

import { useEffect, useRef } from "preact/hooks";
import type { JobProgress } from "../api/types";
import { ReconnectingSocket } from "./socket";

const POLL_MS = 2_000;

export interface JobProgressMessage {
  type: "job.progress";
  v: number;
  ts: number;
  data: JobProgress;
}

/**
 * While `active`, hand each pushed progress to `onProgress`. `reload` asks the API: after each connect, for what
 * changed while no socket listened, and every 2 s while no socket is connected.
 */
export function useJobProgress(active: boolean, onProgress: (data: JobProgress) => void, reload: () => void): void {
  const handlers = useRef({ onProgress, reload });
  handlers.current = { onProgress, reload };

  useEffect(() => {
    if (!active) return undefined;
    let connected = false;
    const socket = new ReconnectingSocket("/ws/jobs/", {
      onOpen: () => {
        socket.markHealthy();
        connected = true;
        handlers.current.reload();
      },
      onText: (message: JobProgressMessage) => {
        if (message?.type === "job.progress" && message.data) handlers.current.onProgress(message.data);
      },
      onDrop: () => { connected = false; },
      onForbidden: () => { connected = false; },
    });
    const timer = window.setInterval(() => {
      if (!connected) handlers.current.reload();
    }, POLL_MS);
    return () => {
      window.clearInterval(timer);
      socket.close();
    };
  }, [active]);
}
