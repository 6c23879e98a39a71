/** The boxes drawn by hand where detection missed something: when each starts, until when it masks, remove it. */

import type { ManualBox } from "../api/types";

interface ManualBoxListProps {
  boxes: ManualBox[];
  onChange: (boxes: ManualBox[]) => void;
  onShow: (box: ManualBox) => void;
}

export function ManualBoxList({ boxes, onChange, onShow }: ManualBoxListProps) {
  if (!boxes.length) return null;
  const replace = (index: number, box: ManualBox) => onChange(boxes.map((each, at) => (at === index ? box : each)));
  return (
    <ul class="manual-boxes" aria-label="Boxes added by hand">
      {boxes.map((box, index) => (
        <li key={index} data-testid="manual-box">
          <button type="button" class="link" onClick={() => onShow(box)}>Box {index + 1} from {box.t.toFixed(2)} s</button>
          <label class="inline-field">
            Box {index + 1} masked until (s)
            <input type="number" min={box.t} step="any" value={box.until}
              onChange={(e) => replace(index, { ...box, until: Math.max(box.t, Number(e.currentTarget.value) || box.t) })} />
          </label>
          <button type="button" class="link danger-text" onClick={() => onChange(boxes.filter((_, at) => at !== index))}>
            Remove box {index + 1}
          </button>
        </li>
      ))}
    </ul>
  );
}
