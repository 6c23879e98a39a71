/**
 * Live video of one camera: fMP4 over the websocket /ws/live/<id>/ into a MediaSource (/ws/live/<id>/?unmasked=<token>
 * for the unmasked stream, with the token of an audited unmasked access).
 *
 * The server sends {"type":"live.start"} with the MIME type, then binary frames: the init segment, then media
 * fragments (moof+mdat). A new live.start (the camera came back) means start a new MediaSource. The buffer is
 * kept short so the picture stays within about a second of the camera. The player acknowledges the fragments
 * it has appended ({"type":"ack","received":n}, counted from the live.start); the server skips a viewer that
 * falls too far behind ahead to the next keyframe instead of queueing for it. The analytics boxes of analysed
 * frames ({"type":"overlay.boxes"}) come on the same socket and are handed on as they arrive.
 *
 * A camera whose sound is recorded sends it in the same fragments (live.start says `audio`); it plays muted until
 * the operator unmutes it (setMuted).
 */

import { query } from "../api/http";
import type { OverlayBoxes, Rotation } from "../api/types";
import { ReconnectingSocket } from "../realtime/socket";

export type LiveState = "connecting" | "playing" | "offline" | "unsupported" | "reconnecting" | "forbidden";

export interface LiveView {
  state: LiveState;
  /** What to show over the picture; empty while it plays. */
  message: string;
  rotation: Rotation;
  width: number | null;
  height: number | null;
  /** The stream has sound. */
  audio: boolean;
  /** Its sound is muted (always, until the operator unmutes it). */
  muted: boolean;
}

interface LiveStart {
  mime: string;
  audio?: boolean;
  width?: number;
  height?: number;
  rotation?: Rotation;
}

/** Jump to the live edge when the playhead is this far behind the newest buffered frame (seconds). */
const MAX_LAG = 1.0;
/** Where to land behind the edge: a little slack so the decoder is not starved at once. */
const EDGE_SLACK = 0.15;
/** Behind the edge by more than this, play a little faster until caught up: no visible jump. */
const CATCH_UP_LAG = 0.3;
const CATCH_UP_RATE = 1.15;
/** Keep this much already-played video, and trim once there is this much more. */
const KEEP_BEHIND = 3;
const TRIM_AFTER = 10;
/** Fragments waiting to be appended before we give up on catching up and ask for a fresh start. */
const MAX_QUEUE = 60;
/** Acknowledge at least every this many appended fragments (and whenever the queue runs empty). */
const ACK_EVERY = 5;

export class LivePlayer {
  private readonly video: HTMLVideoElement;
  private readonly onChange: (view: LiveView) => void;
  private readonly onBoxes: (boxes: OverlayBoxes) => void;
  private readonly socket: ReconnectingSocket;
  private view: LiveView;
  private media: MediaSource | null = null;
  private mediaUrl = "";
  private buffer: SourceBuffer | null = null;
  private queue: { data: ArrayBuffer; media: boolean }[] = [];
  /** Binary frames since the live.start: the first is the init segment, the rest media fragments. */
  private received = 0;
  private appended = 0;
  private acked = 0;
  private appending: { data: ArrayBuffer; media: boolean } | null = null;
  private mime = "";
  private started = false;
  private stopped = false;

  constructor(
    video: HTMLVideoElement,
    cameraId: number,
    unmasked: string | null,
    rotation: Rotation,
    onChange: (view: LiveView) => void,
    onBoxes: (boxes: OverlayBoxes) => void,
  ) {
    this.video = video;
    this.onChange = onChange;
    this.onBoxes = onBoxes;
    this.view = { state: "connecting", message: "Connecting…", rotation, width: null, height: null, audio: false, muted: true };
    video.muted = true;
    video.playsInline = true;
    video.addEventListener("playing", this.onPlaying);
    this.socket = new ReconnectingSocket(`/ws/live/${cameraId}/${query({ unmasked })}`, {
      onText: (message) => this.onText(message),
      onBinary: (data) => this.onBinary(data),
      onDrop: () => this.set({ state: "reconnecting", message: "Reconnecting…" }),
      onForbidden: () => this.set({ state: "forbidden", message: "You may not watch this camera." }),
    });
    this.emit();
  }

  stop(): void {
    this.stopped = true;
    this.socket.close();
    this.video.removeEventListener("playing", this.onPlaying);
    this.teardown();
  }

  /** Mute or unmute the camera's sound. */
  setMuted(muted: boolean): void {
    this.video.muted = muted;
    this.set({ muted });
  }

  private set(change: Partial<LiveView>): void {
    this.view = { ...this.view, ...change };
    this.emit();
  }

  private emit(): void {
    if (!this.stopped) this.onChange(this.view);
  }

  private readonly onPlaying = () => {
    if (this.started && this.view.state !== "offline" && this.view.state !== "reconnecting") {
      this.set({ state: "playing", message: "" });
    }
  };

  private onText(message: { type?: string; data?: any }): void {
    const data = message?.data ?? {};
    switch (message?.type) {
      case "live.start":
        this.begin(data as LiveStart);
        break;
      case "camera.status": {
        const status = data.live_status ?? {};
        if (status.state && status.state !== "online") {
          this.set({ state: "offline", message: status.last_error ? `Camera offline: ${status.last_error}` : "Camera offline" });
        } else if (status.state === "online" && this.view.state === "offline") {
          this.set({ state: "connecting", message: "Camera back online; waiting for video…" });
        }
        break;
      }
      case "overlay.boxes":
        if (Number.isFinite(data.pts) && Array.isArray(data.boxes)) this.onBoxes(data as OverlayBoxes);
        break;
      case "live.unsupported":
        this.teardown();
        this.set({ state: "unsupported", message: data.detail || "This camera's video cannot be shown live in a browser." });
        break;
    }
  }

  /** A (new) stream: throw away the old MediaSource and make one for this MIME type. */
  private begin(header: LiveStart): void {
    this.socket.markHealthy();
    this.teardown();
    this.set({
      state: "connecting",
      message: "Starting video…",
      rotation: header.rotation ?? this.view.rotation,
      width: header.width ?? null,
      height: header.height ?? null,
      audio: Boolean(header.audio),
    });
    if (!header.mime || !window.MediaSource || !MediaSource.isTypeSupported(header.mime)) {
      this.set({ state: "unsupported", message: `This browser cannot play this camera's video (${header.mime || "unknown format"}).` });
      return;
    }
    this.mime = header.mime;
    this.started = true;
    this.received = this.appended = this.acked = 0;
    const media = new MediaSource();
    this.media = media;
    this.mediaUrl = URL.createObjectURL(media);
    media.addEventListener("sourceopen", () => {
      if (media !== this.media) return;
      try {
        const buffer = media.addSourceBuffer(this.mime);
        buffer.mode = "segments";
        buffer.addEventListener("updateend", () => this.afterUpdate());
        buffer.addEventListener("error", () => this.restart());
        this.buffer = buffer;
        this.pump();
      } catch {
        this.set({ state: "unsupported", message: `This browser cannot play this camera's video (${this.mime}).` });
      }
    }, { once: true });
    this.video.src = this.mediaUrl;
  }

  private onBinary(data: ArrayBuffer): void {
    if (!this.started) return; // fragments before a live.start are of no use
    this.queue.push({ data, media: this.received > 0 });
    this.received += 1;
    if (this.queue.length > MAX_QUEUE) {
      // Far behind (a hidden tab, a slow machine): start over from the server's newest keyframe.
      this.restart();
      return;
    }
    this.pump();
  }

  private pump(): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || !this.queue.length || this.media?.readyState !== "open") return;
    const next = this.queue.shift()!;
    try {
      buffer.appendBuffer(next.data);
      this.appending = next;
    } catch (error) {
      if (error instanceof DOMException && error.name === "QuotaExceededError") {
        this.queue.unshift(next);
        this.trim(true);
      } else {
        this.restart();
      }
    }
  }

  private afterUpdate(): void {
    if (this.appending?.media) this.appended += 1;
    this.appending = null;
    if (this.appended - this.acked >= ACK_EVERY || (!this.queue.length && this.appended > this.acked)) {
      this.acked = this.appended;
      this.socket.send({ type: "ack", received: this.appended });
    }
    this.followLiveEdge();
    if (!this.trim(false)) this.pump();
  }

  private followLiveEdge(): void {
    const ranges = this.video.buffered;
    if (!ranges.length) return;
    const end = ranges.end(ranges.length - 1);
    const start = ranges.start(ranges.length - 1);
    const now = this.video.currentTime;
    const lag = end - now;
    if (lag > MAX_LAG || now < start) {
      this.video.currentTime = Math.max(start, end - EDGE_SLACK);
    }
    this.video.playbackRate = lag > CATCH_UP_LAG ? CATCH_UP_RATE : 1;
    if (this.video.paused) this.video.play().catch(() => undefined);
  }

  /** Remove played video; true when a removal started (its updateend continues the appends). */
  private trim(force: boolean): boolean {
    const buffer = this.buffer;
    const ranges = this.video.buffered;
    if (!buffer || buffer.updating || !ranges.length) return false;
    const first = ranges.start(0);
    const keepFrom = this.video.currentTime - (force ? 0.5 : KEEP_BEHIND);
    if (keepFrom - first < (force ? 0.1 : TRIM_AFTER - KEEP_BEHIND)) return false;
    try {
      buffer.remove(first, keepFrom);
      return true;
    } catch {
      return false;
    }
  }

  private restart(): void {
    this.teardown();
    this.set({ state: "reconnecting", message: "Reconnecting…" });
    this.socket.reconnect();
  }

  private teardown(): void {
    this.started = false;
    this.queue = [];
    this.appending = null;
    this.buffer = null;
    const media = this.media;
    this.media = null;
    if (media && media.readyState === "open") {
      try {
        media.endOfStream();
      } catch {
        // already ending
      }
    }
    if (this.mediaUrl) {
      URL.revokeObjectURL(this.mediaUrl);
      this.mediaUrl = "";
      this.video.removeAttribute("src");
      this.video.load();
    }
  }
}
