/**
 * The objects found in the export, each with a strip of pictures across its span (a switch from one person to
 * another shows), a bar marking where detection was weak or the tracker unsure, ticked to be masked or unticked to
 * stay visible with the reason why. The small faces of distant people are grouped, collapsed; what the camera's own
 * analytics reported says so.
 */

import type { ExportTrack } from "../api/types";
import { clock } from "../components/format";
import { TRACK_WORDS } from "./exportWords";

interface TrackListProps {
  tracks: ExportTrack[];
  masked: ReadonlySet<number>;
  onMasked: (masked: Set<number>) => void;
  /** Why each track left visible stays visible, by track id. */
  reasons: ReadonlyMap<number, string>;
  onReason: (id: number, reason: string) => void;
  /** Play from `seconds` after the export's start (a track's start, or one of its pictures). */
  onShow: (seconds: number) => void;
}

export function TrackList({ tracks, masked, onMasked, reasons, onReason, onShow }: TrackListProps) {
  function toggle(id: number, on: boolean) {
    const next = new Set(masked);
    if (on) next.add(id);
    else next.delete(id);
    onMasked(next);
  }

  if (!tracks.length) return <p class="muted">Nothing was found to mask. Add boxes by hand where something should be.</p>;
  const small = tracks.filter((track) => track.group === "small");
  const rest = tracks.filter((track) => track.group !== "small");
  const table = (shown: ExportTrack[], testId: string) => (
    <table class="table compact track-table" data-testid={testId}>
      <thead><tr><th>Mask</th><th>Picture</th><th>What, when</th><th /></tr></thead>
      <tbody>
        {shown.map((track) => (
          <TrackRow key={track.id} track={track} masked={masked.has(track.id)} reason={reasons.get(track.id) ?? ""}
            onMasked={(on) => toggle(track.id, on)} onReason={(reason) => onReason(track.id, reason)} onShow={onShow} />
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      <div class="actions left">
        <button type="button" onClick={() => onMasked(new Set(tracks.map((track) => track.id)))}>Mask all tracks</button>
        <button type="button" onClick={() => onMasked(new Set())}>Unmask all tracks</button>
      </div>
      {rest.length > 0 && table(rest, "tracks")}
      {small.length > 0 && (
        <details class="small-faces" data-testid="small-faces">
          <summary>Small faces ({small.length})</summary>
          {table(small, "small-face-tracks")}
        </details>
      )}
    </>
  );
}

interface TrackRowProps {
  track: ExportTrack;
  masked: boolean;
  reason: string;
  onMasked: (on: boolean) => void;
  onReason: (reason: string) => void;
  onShow: (seconds: number) => void;
}

function TrackRow({ track, masked, reason, onMasked, onReason, onShow }: TrackRowProps) {
  const words = `${TRACK_WORDS[track.kind] ?? track.kind} ${track.id}`;
  const reportedBy = track.group === "camera" ? " (reported by the camera)" : "";
  return (
    <tr data-track-id={track.id} data-masked={String(masked)}>
      <td>
        <input type="checkbox" aria-label={`Mask track ${track.id}`} checked={masked} onChange={(e) => onMasked(e.currentTarget.checked)} />
      </td>
      <td class="track-thumb"><img src={track.thumbnail_url} alt={words} loading="lazy" /></td>
      <td>
        {words}{reportedBy}
        <div class="muted small nowrap">{clock(new Date(track.first))} – {clock(new Date(track.last))}</div>
        <SpanBar track={track} />
        {track.strip.length > 0 && (
          <div class="track-strip" data-testid="track-strip" aria-label={`Pictures across track ${track.id}`}>
            {track.strip.map((picture) => (
              <button type="button" class="link" key={picture.frame} title={`${picture.t.toFixed(2)} s`} onClick={() => onShow(picture.t)}>
                <img src={picture.url} alt={`${words} at ${picture.t.toFixed(2)} s`} loading="lazy" />
              </button>
            ))}
          </div>
        )}
        {!masked && (
          <label class="keep-reason">
            Why track {track.id} stays visible
            <input type="text" required maxLength={500} value={reason} placeholder="e.g. the suspect"
              onInput={(e) => onReason(e.currentTarget.value)} />
          </label>
        )}
        {!masked && track.uncertain.length > 0 && (
          <p class="note" data-testid="uncertain-warning">
            This track may follow someone else for part of its span (marked on the bar): these frames will be masked anyway.
          </p>
        )}
      </td>
      <td><button type="button" class="link" aria-label={`Show track ${track.id}`} onClick={() => onShow(startOf(track))}>Show</button></td>
    </tr>
  );
}

const startOf = (track: ExportTrack) => (track.boxes.length ? track.boxes[0].t : 0);

/** The track's span as a bar: weak or missing detections and uncertain identity marked where they fall. */
function SpanBar({ track }: { track: ExportTrack }) {
  if (!track.boxes.length) return null;
  const from = track.boxes[0].t;
  const length = Math.max(track.boxes[track.boxes.length - 1].t - from, 1e-3);
  const mark = (kind: string, [first, last]: number[]) => (
    <span key={`${kind}-${first}`} class={`span-mark ${kind}`} data-testid={`${kind}-mark`}
      style={{ left: `${((first - from) / length) * 100}%`, width: `max(2px, ${((last - first) / length) * 100}%)` }}
      title={`${kind === "weak" ? "Weak or missing detection" : "Maybe someone else"}: ${first.toFixed(2)}–${last.toFixed(2)} s`} />
  );
  return (
    <div class="span-bar" data-testid="span-bar" aria-label={`Track ${track.id}: ${track.weak.length} weak, ${track.uncertain.length} uncertain spans`}>
      {track.weak.map((span) => mark("weak", span))}
      {track.uncertain.map((span) => mark("uncertain", span))}
    </div>
  );
}
