/** An export's status in words, with a progress bar while it detects or renders. */

import type { Export } from "../api/types";
import { STATUS_WORDS, WORKING } from "./exportWords";

export function ExportProgress({ item }: { item: Pick<Export, "status" | "progress"> }) {
  const words = STATUS_WORDS[item.status] ?? item.status;
  const percent = Math.round(item.progress * 100);
  return (
    <span class={`export-progress progress-${item.status}`}>
      <span class="export-status-words">{words}</span>
      {WORKING.has(item.status) && (
        <>
          <progress max={1} value={item.progress} aria-label={`${words}: ${percent} %`} />
          <span class="muted small">{percent} %</span>
        </>
      )}
    </span>
  );
}
