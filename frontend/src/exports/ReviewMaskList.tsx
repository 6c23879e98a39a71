/** What the review masks besides tracks and hand-drawn boxes: spans masked whole, and boxes the VMS followed. */

import type { FollowedBox, MaskedRange } from "../api/types";

interface MaskedRangeListProps {
  ranges: MaskedRange[];
  onChange: (ranges: MaskedRange[]) => void;
  onShow: (seconds: number) => void;
}

export function MaskedRangeList({ ranges, onChange, onShow }: MaskedRangeListProps) {
  if (!ranges.length) return null;
  return (
    <ul class="manual-boxes" aria-label="Spans masked whole">
      {ranges.map((range, index) => (
        <li key={index} data-testid="masked-range">
          <button type="button" class="link" onClick={() => onShow(range.start)}>
            Every frame from {range.start.toFixed(2)} s to {range.end.toFixed(2)} s
          </button>
          <button type="button" class="link danger-text" onClick={() => onChange(ranges.filter((_, at) => at !== index))}>
            Remove span {index + 1}
          </button>
        </li>
      ))}
    </ul>
  );
}

interface FollowedBoxListProps {
  followed: FollowedBox[];
  onChange: (followed: FollowedBox[]) => void;
  onShow: (seconds: number) => void;
}

export function FollowedBoxList({ followed, onChange, onShow }: FollowedBoxListProps) {
  if (!followed.length) return null;
  return (
    <ul class="manual-boxes" aria-label="Boxes followed by the VMS">
      {followed.map((each, index) => {
        const first = each.boxes[0].t;
        const last = each.boxes[each.boxes.length - 1].t;
        return (
          <li key={index} data-testid="followed-box">
            <button type="button" class="link" onClick={() => onShow(first)}>
              Followed box {index + 1}: {first.toFixed(2)}–{last.toFixed(2)} s ({each.boxes.length} frames)
            </button>
            <button type="button" class="link danger-text" onClick={() => onChange(followed.filter((_, at) => at !== index))}>
              Remove followed box {index + 1}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
