/**
 * One playback's playlists joined into the one playlist hls.js plays. The server sends the footage around the
 * playhead an hour at a time, with a link to the hour after; while one follows, the joined playlist is an EVENT
 * playlist without an end, which hls.js asks for again every few seconds, and the next hour is fetched and
 * appended when the playhead comes within AHEAD_SECONDS of the end of what is loaded: the video plays on across
 * the hours without a seam, and no request makes a day's playlist.
 */

import type { HlsConfig, Loader, LoaderCallbacks, LoaderStats, PlaylistLoaderConstructor, PlaylistLoaderContext } from "hls.js/light";

/** More than hls.js keeps buffered ahead (maxBufferLength) plus a few reloads of the playlist. */
const AHEAD_SECONDS = 60;
const NEXT_LINK = /<([^>]+)>\s*;\s*rel="next"/;
const TARGET = "#EXT-X-TARGETDURATION:";
const TYPE = "#EXT-X-PLAYLIST-TYPE:";
const END = "#EXT-X-ENDLIST";

class PlaylistFailure extends Error {
  readonly code: number;

  constructor(code: number, text: string) {
    super(text);
    this.code = code;
  }
}

export class PlaylistWindows {
  /** The audit entry of the playback, which the later playlists carry so that it is audited once. */
  playback: string | null = null;
  private header: string[] = [];
  /** The segments' lines of every window so far, each window's first segment after a discontinuity. */
  private entries: string[] = [];
  private next: string | null;
  private pending: Promise<void> | null = null;
  /** Seconds of loaded footage ahead of the playhead. */
  private readonly ahead: () => number;

  constructor(firstUrl: string, ahead: () => number) {
    this.next = firstUrl;
    this.ahead = ahead;
  }

  /** The joined playlist, first fetching the next window when none is loaded yet or the playhead nears the end. */
  async text(): Promise<string> {
    const wanted = this.next !== null && (!this.header.length || this.ahead() < AHEAD_SECONDS);
    if (wanted) {
      this.pending ??= this.fetchNext().finally(() => { this.pending = null; });
      await this.pending;
    }
    return this.joined();
  }

  private async fetchNext(): Promise<void> {
    const response = await fetch(this.next!, { credentials: "same-origin" });
    const body = await response.text();
    if (!response.ok) throw new PlaylistFailure(response.status, body);
    this.next = response.headers.get("Link")?.match(NEXT_LINK)?.[1] ?? null;
    this.playback ??= response.headers.get("Playback-Id");
    const lines = body.trim().split("\n").filter((line) => line && line !== END);
    const first = lines.findIndex((line) => line.startsWith("#EXT-X-PROGRAM-DATE-TIME:"));
    const header = lines.slice(0, first);
    const entries = lines.slice(first);
    if (!this.header.length) {
      this.header = header;
    } else {
      const longest = Math.max(targetOf(this.header), targetOf(header));
      this.header = this.header.map((line) => (line.startsWith(TARGET) ? `${TARGET}${longest}` : line));
      this.entries.push("#EXT-X-DISCONTINUITY");
    }
    this.entries.push(...entries);
  }

  private joined(): string {
    const ended = this.next === null;
    const header = this.header.map((line) => (line.startsWith(TYPE) ? `${TYPE}${ended ? "VOD" : "EVENT"}` : line));
    return [...header, ...this.entries, ...(ended ? [END] : [])].join("\n") + "\n";
  }
}

function targetOf(header: string[]): number {
  const line = header.find((each) => each.startsWith(TARGET));
  return line ? Number.parseInt(line.slice(TARGET.length), 10) : 0;
}

/** An hls.js playlist loader that answers every playlist request of the playback from its joined windows. */
export function windowsLoader(windows: PlaylistWindows, Stats: new () => LoaderStats): PlaylistLoaderConstructor {
  return class WindowsLoader implements Loader<PlaylistLoaderContext> {
    context: PlaylistLoaderContext | null = null;
    stats: LoaderStats = new Stats();
    private gone = false;

    constructor(_config: HlsConfig) {}

    load(context: PlaylistLoaderContext, _config: unknown, callbacks: LoaderCallbacks<PlaylistLoaderContext>): void {
      this.context = context;
      const stats = this.stats;
      stats.loading.start = performance.now();
      windows.text().then(
        (text) => {
          if (this.gone) return;
          stats.loading.first = stats.loading.end = performance.now();
          stats.loaded = stats.total = text.length;
          callbacks.onSuccess({ url: context.url, data: text }, stats, context, null);
        },
        (failure: unknown) => {
          if (this.gone) return;
          const code = failure instanceof PlaylistFailure ? failure.code : 0;
          callbacks.onError({ code, text: String(failure) }, context, null, stats);
        },
      );
    }

    abort(): void {
      this.gone = true;
      this.stats.aborted = true;
    }

    destroy(): void {
      this.gone = true;
      this.context = null;
    }
  };
}
