/** The objects found in the export, each with its picture and time, ticked to be masked or unticked to stay visible. */

import type { ExportTrack } from "../api/types";
import { clock } from "../components/format";
import { TRACK_WORDS } from "./exportWords";

interface TrackListProps {
  tracks: ExportTrack[];
  masked: ReadonlySet<number>;
  onMasked: (masked: Set<number>) => void;
  /** Play from where the track starts. */
  onShow: (track: ExportTrack) => void;
}

export function TrackList({ tracks, masked, onMasked, onShow }: TrackListProps) {
  function toggle(id: number, on: boolean) {
    const next = new Set(masked);
    if (on) next.add(id);
    else next.delete(id);
    onMasked(next);
  }

  if (!tracks.length) return <p class="muted">Nothing was found to mask. Add boxes by hand where something should be.</p>;
  return (
    <>
      <div class="actions left">
        <button type="button" onClick={() => onMasked(new Set(tracks.map((track) => track.id)))}>Mask all tracks</button>
        <button type="button" onClick={() => onMasked(new Set())}>Unmask all tracks</button>
      </div>
      <table class="table compact track-table" data-testid="tracks">
        <thead><tr><th>Mask</th><th>Picture</th><th>What, when</th><th /></tr></thead>
        <tbody>
          {tracks.map((track) => (
            <tr key={track.id} data-track-id={track.id} data-masked={String(masked.has(track.id))}>
              <td>
                <input type="checkbox" aria-label={`Mask track ${track.id}`} checked={masked.has(track.id)}
                  onChange={(e) => toggle(track.id, e.currentTarget.checked)} />
              </td>
              <td class="track-thumb"><img src={track.thumbnail_url} alt={`${TRACK_WORDS[track.kind] ?? track.kind} ${track.id}`} loading="lazy" /></td>
              <td>
                {TRACK_WORDS[track.kind] ?? track.kind} {track.id}
                <div class="muted small nowrap">{clock(new Date(track.first))} – {clock(new Date(track.last))}</div>
              </td>
              <td><button type="button" class="link" aria-label={`Show track ${track.id}`} onClick={() => onShow(track)}>Show</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
