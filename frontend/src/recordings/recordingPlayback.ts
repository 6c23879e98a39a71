/**
 * Plays recorded footage with hls.js over the server's playlists of a span (an hour at a time, joined as it plays:
 * playlistWindows.ts), and maps the video's media time to wall-clock time with each segment's
 * EXT-X-PROGRAM-DATE-TIME (gaps between recordings are left out of the media timeline, so media time alone says
 * nothing about the time of day).
 */

import type Hls from "hls.js/light";
import type { Fragment } from "hls.js/light";
import { recordings } from "../api/endpoints";
import { PlaylistWindows, windowsLoader } from "./playlistWindows";

// hls.js is most of the app's weight and only this page needs it: it loads on the first playback.
type HlsModule = typeof import("hls.js/light");
let hlsModule: Promise<HlsModule> | null = null;
const loadHls = () => (hlsModule ??= import("hls.js/light"));

export interface Piece {
  /** Media time where this segment starts in the video element, seconds. */
  start: number;
  duration: number;
  /** Wall-clock time of its first frame, ms since the epoch. */
  wall: number;
}

export type PlaybackProblem = { kind: "no_footage" | "error"; message: string } | null;

export interface PlaybackEvents {
  onProblem: (problem: PlaybackProblem) => void;
  onLoading: (loading: boolean) => void;
}

/** Pieces of the playlist in media order, from the fragments hls.js parsed. */
function piecesOf(fragments: Fragment[]): Piece[] {
  return fragments
    .filter((fragment) => fragment.programDateTime !== null)
    .map((fragment) => ({ start: fragment.start, duration: fragment.duration, wall: fragment.programDateTime as number }));
}

/** Media time of a wall-clock moment; in a gap, the start of the next recording; null after the last one. */
export function mediaTimeOf(pieces: Piece[], wall: number): number | null {
  for (const piece of pieces) {
    const end = piece.wall + piece.duration * 1000;
    if (wall < piece.wall) return piece.start;
    if (wall < end) return piece.start + (wall - piece.wall) / 1000;
  }
  return null;
}

export function wallTimeOf(pieces: Piece[], media: number): number | null {
  if (!pieces.length) return null;
  let found = pieces[0];
  for (const piece of pieces) {
    if (piece.start <= media + 1e-3) found = piece;
    else break;
  }
  return found.wall + Math.max(0, Math.min(media - found.start, found.duration)) * 1000;
}

/** What is being played: the span asked for, its playlists, and the user's choice of recording. */
interface Session {
  camera: number;
  start: number;
  end: number;
  unmasked: string | null;
  windows: PlaylistWindows;
}

export class RecordingPlayback {
  private readonly video: HTMLVideoElement;
  private readonly events: PlaybackEvents;
  private hls: Hls | null = null;
  /** Counts loads, so a load overtaken by a newer one while hls.js was loading gives way. */
  private generation = 0;
  private pieces: Piece[] = [];
  private session: Session | null = null;
  /** The token of an unmasked access: while set, playlists are of the unmasked recording. */
  private unmasked: string | null = null;

  constructor(video: HTMLVideoElement, events: PlaybackEvents) {
    this.video = video;
    this.events = events;
  }

  /** The wall-clock time the video shows, ms since the epoch; null before anything is loaded. */
  now(): number | null {
    return this.wallAt(this.video.currentTime);
  }

  /** The wall-clock time of a media time of the loaded footage (a frame's presentation time), ms. */
  wallAt(media: number): number | null {
    return this.pieces.length ? wallTimeOf(this.pieces, media) : null;
  }

  /** Whether `wall` lies in the footage loaded so far, so a seek needs no new playlist. */
  covers(camera: number, wall: number): boolean {
    const session = this.session;
    const first = this.pieces[0];
    const last = this.pieces[this.pieces.length - 1];
    return Boolean(session && session.camera === camera && session.unmasked === this.unmasked && first
      && wall >= first.wall && wall < last.wall + last.duration * 1000);
  }

  /** Play the unmasked recording with this token from the next playFrom on; null goes back to the masked one. */
  setUnmasked(token: string | null): void {
    this.unmasked = token;
  }

  /**
   * Play the footage of [start, end) from `wall` (ms): a seek when that is loaded already, else the playlists from
   * there on, as part of the same audited playback when the span and the recording are the same.
   */
  playFrom(camera: number, wall: number, start: Date, end: Date): void {
    this.events.onProblem(null);
    if (this.covers(camera, wall)) {
      const media = mediaTimeOf(this.pieces, wall);
      if (media === null) {
        this.events.onProblem({ kind: "no_footage", message: "No recordings after this moment." });
        return;
      }
      this.video.currentTime = media;
      this.video.play().catch(() => undefined);
      return;
    }
    this.load(camera, wall, start, end);
  }

  /** Seconds of loaded footage after the playhead. */
  private ahead(): number {
    const last = this.pieces[this.pieces.length - 1];
    return last ? last.start + last.duration - this.video.currentTime : 0;
  }

  private async load(camera: number, wall: number, start: Date, end: Date): Promise<void> {
    const before = this.session;
    const same = before && before.camera === camera && before.start === start.getTime() && before.end === end.getTime()
      && before.unmasked === this.unmasked;
    const playback = same ? before.windows.playback : null;
    this.destroy();
    const generation = this.generation;
    const url = recordings.playlistUrl(camera, start, end, new Date(wall), this.unmasked, playback);
    const windows = new PlaylistWindows(url, () => this.ahead());
    this.session = { camera, start: start.getTime(), end: end.getTime(), unmasked: this.unmasked, windows };
    this.events.onLoading(true);
    let module: HlsModule;
    try {
      module = await loadHls();
    } catch {
      this.events.onLoading(false);
      this.events.onProblem({ kind: "error", message: "The video player could not be loaded; reload the page." });
      return;
    }
    if (generation !== this.generation) return;
    const { default: HlsPlayer, Events, ErrorTypes, LoadStats } = module;
    if (!HlsPlayer.isSupported()) {
      this.events.onLoading(false);
      this.events.onProblem({ kind: "error", message: "This browser cannot play recordings (no Media Source Extensions)." });
      return;
    }
    const hls = new HlsPlayer({
      autoStartLoad: false,
      enableWorker: true,
      maxBufferLength: 20,
      backBufferLength: 30,
      // A recording has one quality: no ABR.
      capLevelToPlayerSize: false,
      pLoader: windowsLoader(windows, LoadStats),
    });
    this.hls = hls;
    // Each playlist hls.js reads (the joined windows, longer as they are appended) places every segment in media time.
    hls.on(Events.LEVEL_UPDATED, (_event, data) => {
      if (hls === this.hls) this.pieces = piecesOf(data.details.fragments);
    });
    let started = false;
    hls.on(Events.LEVEL_LOADED, () => {
      if (hls !== this.hls || started) return;
      started = true;
      const media = mediaTimeOf(this.pieces, wall);
      if (media === null) {
        this.events.onLoading(false);
        this.events.onProblem({ kind: "no_footage", message: "No recordings after this moment." });
        return;
      }
      hls.startLoad(media);
      this.video.currentTime = media;
      this.video.play().catch(() => undefined);
    });
    hls.on(Events.FRAG_BUFFERED, () => {
      if (hls === this.hls) this.events.onLoading(false);
    });
    hls.on(Events.ERROR, (_event, data) => {
      if (hls !== this.hls) return;
      const status = (data.response as { code?: number } | undefined)?.code;
      if (data.details === "manifestLoadError" && status === 404) {
        this.events.onLoading(false);
        this.events.onProblem({ kind: "no_footage", message: "No recordings in the shown span." });
        this.destroy();
        return;
      }
      if (!data.fatal) return;
      this.events.onLoading(false);
      if (data.type === ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      const words = status === 401 || status === 403
        ? "Your session ended or your role does not allow playback."
        : `The recording could not be played (${data.details}).`;
      this.events.onProblem({ kind: "error", message: words });
      this.destroy();
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  destroy(): void {
    this.generation += 1;
    this.hls?.destroy();
    this.hls = null;
    this.pieces = [];
    this.session = null;
  }
}
