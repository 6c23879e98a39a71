/**
 * Push-to-talk: the microphone to a camera's speaker over /ws/talk/<id>/. The server opens the camera's ONVIF audio
 * back channel and encodes for it; the browser sends 16-bit mono PCM at its own rate, 20 ms at a time, from an audio
 * worklet (no deprecated ScriptProcessor, no extra buffering). What is captured before the camera's channel is open
 * waits and follows at once, so the first words are not lost.
 */

import { socketUrl } from "../realtime/socket";

export type TalkState =
  | { state: "connecting" }
  | { state: "talking"; codec: string }
  | { state: "refused" | "failed"; detail: string }
  | { state: "idle" };

// Runs in the audio rendering thread: hands over 20 ms of samples at a time as 16-bit PCM.
const WORKLET = `
class TalkCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate / 50);
    this.buffer = new Int16Array(this.size);
    this.filled = 0;
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const sample = Math.max(-1, Math.min(1, channel[i]));
      this.buffer[this.filled++] = sample < 0 ? sample * 0x8000 : sample * 0x7fff;
      if (this.filled === this.size) {
        this.port.postMessage(this.buffer.buffer, [this.buffer.buffer]);
        this.buffer = new Int16Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
}
registerProcessor("talk-capture", TalkCapture);
`;

export class TalkBack {
  private socket: WebSocket;
  private context: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private waiting: ArrayBuffer[] = [];
  private open = false;
  private stopped = false;
  /** Refused or failed: said once. */
  private ended = false;

  constructor(cameraId: number, private readonly onState: (state: TalkState) => void) {
    onState({ state: "connecting" });
    this.socket = new WebSocket(socketUrl(`/ws/talk/${cameraId}/`));
    this.socket.binaryType = "arraybuffer";
    this.socket.onmessage = (event) => this.message(JSON.parse(event.data as string));
    this.socket.onclose = (event) => {
      if (event.code === 4403) this.end("refused", "You may not talk through this camera.");
      else if (!this.stopped && !this.ended) this.end("failed", "The connection to the server was lost.");
      this.release();
    };
    void this.capture();
  }

  /** Let go of the button: the talk ends. What was captured goes first: before the camera's channel is open, the
   * socket stays until it is, sends it and then closes. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.release();
    if (this.open || this.waiting.length === 0) this.close();
  }

  private close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    if (!this.ended) this.onState({ state: "idle" });
  }

  private end(state: "refused" | "failed", detail: string): void {
    if (this.ended) return;
    this.ended = true;
    this.onState({ state, detail });
  }

  private message(message: { type: string; data: { detail?: string; codec?: string } }): void {
    if (message.type === "talk.start") {
      this.open = true;
      for (const chunk of this.waiting) this.socket.send(chunk);
      this.waiting = [];
      if (this.stopped) this.close();
      else this.onState({ state: "talking", codec: message.data.codec ?? "" });
    } else if (message.type === "talk.refused" || message.type === "talk.failed") {
      this.end(message.type === "talk.refused" ? "refused" : "failed", message.data.detail ?? "");
      this.release();
    }
  }

  private async capture(): Promise<void> {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
      });
      if (this.stopped) return this.release();
      this.context = new AudioContext({ latencyHint: "interactive" });
      const module = URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" }));
      await this.context.audioWorklet.addModule(module);
      URL.revokeObjectURL(module);
      if (this.stopped) return this.release();
      const node = new AudioWorkletNode(this.context, "talk-capture");
      node.port.onmessage = (event: MessageEvent<ArrayBuffer>) => this.send(event.data);
      this.context.createMediaStreamSource(this.stream).connect(node);
      this.sendFormat();
    } catch (error) {
      const denied = error instanceof DOMException && (error.name === "NotAllowedError" || error.name === "SecurityError");
      this.end("failed", denied
        ? "The browser may not use the microphone: allow it for this site (it needs https, or this computer)."
        : "No microphone could be opened.");
      this.stop();
    }
  }

  private sendFormat(): void {
    const format = JSON.stringify({ type: "format", rate: this.context!.sampleRate });
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(format);
    else this.socket.addEventListener("open", () => this.socket.send(format), { once: true });
  }

  private send(chunk: ArrayBuffer): void {
    if (this.stopped) return;
    if (this.open && this.socket.readyState === WebSocket.OPEN) this.socket.send(chunk);
    else this.waiting.push(chunk);
  }

  private release(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    void this.context?.close();
    this.context = null;
  }
}
