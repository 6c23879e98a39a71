/**
 * A websocket to the VMS that reconnects with capped exponential backoff until it is closed or forbidden.
 * The browser's session cookie authenticates it (the server checks the Origin), so no secret goes in its URL.
 */

export const FORBIDDEN = 4403;

export function socketUrl(path: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export interface SocketHandlers {
  onOpen?: () => void;
  onText?: (message: any) => void;
  onBinary?: (data: ArrayBuffer) => void;
  /** The connection dropped; a new attempt follows after `retryIn` ms. */
  onDrop?: (retryIn: number) => void;
  /** The server refused the user (close code 4403); no more attempts. */
  onForbidden?: () => void;
}

export interface BackoffOptions {
  firstDelay?: number;
  maxDelay?: number;
}

export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private timer: number | undefined;
  private delay: number;
  private closed = false;
  private readonly path: string;
  private readonly handlers: SocketHandlers;
  private readonly firstDelay: number;
  private readonly maxDelay: number;

  constructor(path: string, handlers: SocketHandlers, options: BackoffOptions = {}) {
    this.path = path;
    this.handlers = handlers;
    this.firstDelay = options.firstDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 15_000;
    this.delay = this.firstDelay;
    this.connect();
  }

  /** Drop the current connection and connect again at once (e.g. to take on newly added cameras). */
  reconnect(): void {
    if (this.closed) return;
    window.clearTimeout(this.timer);
    this.detach();
    this.delay = this.firstDelay;
    this.connect();
  }

  /** Send JSON if connected; messages while disconnected are dropped (they describe a connection gone). */
  send(message: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.detach();
  }

  /** The server's data flows: the next drop starts the backoff from the beginning. */
  markHealthy(): void {
    this.delay = this.firstDelay;
  }

  private detach(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
  }

  private connect(): void {
    const socket = new WebSocket(socketUrl(this.path));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      this.handlers.onOpen?.();
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === "string") {
        let message: unknown;
        try {
          message = JSON.parse(event.data);
        } catch {
          return; // not ours to understand
        }
        this.handlers.onText?.(message);
      } else {
        this.handlers.onBinary?.(event.data as ArrayBuffer);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      this.socket = null;
      if (this.closed) return;
      if (event.code === FORBIDDEN) {
        this.closed = true;
        this.handlers.onForbidden?.();
        return;
      }
      // Jitter spreads the reconnects of a wall of tiles after a server restart.
      const wait = Math.round(this.delay * (0.75 + Math.random() * 0.5));
      this.delay = Math.min(this.delay * 2, this.maxDelay);
      this.handlers.onDrop?.(wait);
      this.timer = window.setTimeout(() => this.connect(), wait);
    };
  }
}
