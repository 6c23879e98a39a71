/**
 * One export: its progress live while it detects or renders, the review of what to mask when detection is done,
 * and its files when rendered.
 */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras, redactedExports } from "../api/endpoints";
import type { Camera, Export, JobProgress } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { dateTime } from "../components/format";
import { useJobProgress } from "../realtime/jobProgress";
import { ExportProgress } from "./ExportProgress";
import { ExportResult } from "./ExportResult";
import { ExportReview } from "./ExportReview";
import { REDACTION_STYLE_WORDS, redactWords, spanWords } from "./exportWords";
import { ApproveExport } from "./ApproveExport";
import { ReleaseSource } from "./ReleaseSource";

function soundWords(item: Export): string {
  if (item.mute_audio) return "Muted: the recorded sound is left out";
  if (!item.finished_at) return "Kept, where recorded";
  return item.has_audio ? "Included" : "None was recorded";
}

function ExportFacts({ item }: { item: Export }) {
  return (
    <dl class="facts-list" data-testid="export-facts">
      <dt>Camera</dt><dd>{item.camera_name}</dd>
      <dt>Span</dt><dd>{spanWords(item.start, item.end)}</dd>
      <dt>Redacts</dt><dd>{redactWords(item)}</dd>
      <dt>Style</dt><dd>{REDACTION_STYLE_WORDS[item.style] ?? item.style}</dd>
      <dt>Sound</dt><dd data-testid="export-sound">{soundWords(item)}</dd>
      <dt>Reason</dt><dd>{item.reason}</dd>
      <dt>Requested by</dt><dd>{item.requested_by}, {dateTime(item.created_at)}</dd>
      {item.approved_by && <><dt>Approved by</dt><dd>{item.approved_by}</dd></>}
      {item.finished_at && <><dt>Finished</dt><dd>{dateTime(item.finished_at)}</dd></>}
    </dl>
  );
}

export function ExportPage({ export: id }: { export: string }) {
  const exportId = Number(id);
  const [item, setItem] = useState<Export | null>(null);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setItem(await redactedExports.get(exportId));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [exportId]);

  useEffect(() => {
    load();
  }, [load]);

  const cameraId = item?.camera;
  useEffect(() => {
    if (cameraId !== undefined) cameras.get(cameraId).then(setCamera, () => undefined);
  }, [cameraId]);

  // A changed status brings new facts (tracks, files, an error): those come from the API; progress alone is applied here.
  function onProgress(data: JobProgress) {
    if (!item || data.export !== item.id) return;
    if (data.status !== item.status) load();
    else setItem({ ...item, progress: data.progress });
  }

  const status = item?.status;
  useJobProgress(status === "detecting" || status === "rendering" || status === "review", onProgress, load);

  return (
    <section class="export-page">
      <div class="page-title">
        <a href="/exports" class="back">← Exports</a>
        <h1>{item ? `Export of ${item.camera_name}` : "Export"}</h1>
      </div>
      <ErrorNote error={error} title="This export cannot be shown." />
      {!item && !error && <Loading what="the export" />}
      {item && (
        <>
          <div class="card export-summary">
            <div class="export-status" data-testid="export-status" data-status={item.status} data-export-id={item.id}>
              <ExportProgress item={item} />
              {item.status === "failed" && item.error && <div class="status-error" role="alert">{item.error}</div>}
            </div>
            <ExportFacts item={item} />
            {(item.status === "done" || item.status === "failed") && <ReleaseSource item={item} onReleased={load} />}
          </div>
          {item.status === "approval" && <ApproveExport item={item} onApproved={setItem} />}
          {item.status === "review" && <ExportReview key={item.id} item={item} camera={camera} onChanged={(next) => (next ? setItem(next) : load())} />}
          {item.status === "done" && <ExportResult item={item} />}
        </>
      )}
    </section>
  );
}
