/** The redacted exports, newest first: what was exported, by whom, how far it is, and its files when done. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { redactedExports } from "../api/endpoints";
import type { Page } from "../api/http";
import type { Export, JobProgress } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { dateTime } from "../components/format";
import { Pager } from "../components/Pager";
import { useJobProgress } from "../realtime/jobProgress";
import { ExportProgress } from "./ExportProgress";
import { spanWords, WORKING } from "./exportWords";

const PAGE_SIZE = 50;

function ExportRow({ item }: { item: Export }) {
  const page = `/exports/${item.id}`;
  return (
    <tr data-export-id={item.id} data-status={item.status}>
      <td><a href={page}>{item.camera_name}</a></td>
      <td class="small">{spanWords(item.start, item.end)}</td>
      <td><ExportProgress item={item} /></td>
      <td>{item.requested_by}</td>
      <td class="nowrap">{dateTime(item.created_at)}</td>
      <td class="row-actions">
        {item.download_url && <a href={item.download_url} download>Download</a>}
        {item.manifest_url && <a href={item.manifest_url} download>Manifest</a>}
        {item.status === "review" && <a href={page}>Review</a>}
      </td>
    </tr>
  );
}

export function ExportsPage() {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<Export> | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setPage(await redactedExports.list(PAGE_SIZE, offset));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [offset]);

  useEffect(() => {
    load();
  }, [load]);

  // A changed status brings new facts (files, an error): those come from the API; progress alone is applied here.
  function onProgress(data: JobProgress) {
    const item = page?.results.find((each) => each.id === data.export);
    if (!item) return;
    if (item.status !== data.status) load();
    else setPage({ ...page!, results: page!.results.map((each) => (each === item ? { ...each, progress: data.progress } : each)) });
  }

  useJobProgress(Boolean(page?.results.some((item) => WORKING.has(item.status))), onProgress, load);

  return (
    <section class="exports-page">
      <div class="page-title"><h1>Exports</h1>{page && <span class="muted">{page.count} exports</span>}</div>
      <p class="muted">Redacted exports start on a camera's recordings: choose a span under the timeline, then “Redacted export”.</p>
      <ErrorNote error={error} title="The exports could not be loaded." />
      {!page && !error && <Loading what="exports" />}
      {page && page.results.length === 0 && <Empty><p>No exports yet.</p></Empty>}
      {page && page.results.length > 0 && (
        <>
          <table class="table export-table">
            <thead><tr><th>Camera</th><th>Span</th><th>Status</th><th>Requested by</th><th>Created</th><th /></tr></thead>
            <tbody>{page.results.map((item) => <ExportRow key={item.id} item={item} />)}</tbody>
          </table>
          <Pager offset={offset} shown={page.results.length} count={page.count} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </section>
  );
}
