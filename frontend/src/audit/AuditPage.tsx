/** The audit log, newest first: who did what, to which camera, when and from where. */

import { useEffect, useState } from "preact/hooks";
import { audit, cameras as camerasApi, type AuditFilters } from "../api/endpoints";
import type { AuditEntry, Camera } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { dateTime } from "../components/format";
import { Pager } from "../components/Pager";
import { AuditFilterForm } from "./AuditFilterForm";

const PAGE_SIZE = 50;

function details(entry: AuditEntry): string {
  return Object.entries(entry.detail ?? {})
    .map(([key, value]) => `${key.replace(/_/g, " ")}: ${Array.isArray(value) ? value.join(", ") : typeof value === "object" ? JSON.stringify(value) : value}`)
    .join("; ");
}

export function AuditPage() {
  const [filters, setFilters] = useState<AuditFilters>({});
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ count: number; results: AuditEntry[] } | null>(null);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    camerasApi.list().then(setCameras, () => undefined);
  }, []);

  useEffect(() => {
    let current = true;
    audit.list(filters, PAGE_SIZE, offset).then(
      (answer) => { if (current) { setPage(answer); setError(null); } },
      (failure) => { if (current) setError(failure); },
    );
    return () => { current = false; };
  }, [filters, offset]);

  const filtered = Object.values(filters).some(Boolean);
  return (
    <section class="audit-page">
      <div class="page-title"><h1>Audit log</h1>{page && <span class="muted">{page.count} entries</span>}</div>
      <AuditFilterForm cameras={cameras} onApply={(next) => { setFilters(next); setOffset(0); }} />
      <ErrorNote error={error} title="The audit log could not be loaded." />
      {!page && !error && <Loading what="the audit log" />}
      {page && page.results.length === 0 && (
        <Empty><p>{filtered ? "No entries match these filters." : "Nothing has been audited yet."}</p></Empty>
      )}
      {page && page.results.length > 0 && (
        <>
          <table class="table audit-table">
            <thead><tr><th>When</th><th>Who</th><th>What</th><th>Camera</th><th>From</th><th>Details</th></tr></thead>
            <tbody>
              {page.results.map((entry) => (
                <tr key={entry.id} data-action={entry.action}>
                  <td class="nowrap">{dateTime(entry.at)}</td>
                  <td>{entry.username || <span class="muted">—</span>}</td>
                  <td>{entry.action_label}</td>
                  <td>{entry.camera_name}</td>
                  <td class="muted">{entry.ip}</td>
                  <td class="small detail">{details(entry)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager offset={offset} shown={page.results.length} count={page.count} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </section>
  );
}
