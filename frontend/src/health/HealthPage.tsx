/** Is the VMS well: database, Redis, disk, the recordings store and its tiers (use, days left), each recorder and
 * its cameras, and cameras nobody records. */

import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { health } from "../api/endpoints";
import type { Health, HealthCheck, RecorderReport, TierReport } from "../api/types";
import { StateBadge } from "../cameras/CameraStatus";
import { ErrorNote, Loading } from "../components/Notice";
import { ago, dateTime, fileSize } from "../components/format";

function Check({ title, check, children }: { title: string; check: HealthCheck; children?: ComponentChildren }) {
  return (
    <div class={`card check ${check.ok ? "check-ok" : "check-bad"}`} data-testid={`check-${title.toLowerCase()}`}>
      <h2><span class={`dot ${check.ok ? "dot-playing" : "dot-offline"}`} />{title}</h2>
      <div>{check.ok ? "Working" : "Not working"}</div>
      {check.error && <div class="status-error">{check.error}</div>}
      {children}
    </div>
  );
}

function Tier({ tier }: { tier: TierReport }) {
  const days = tier.days_left === null ? "unknown" : `${tier.days_left} days`;
  return (
    <div class={`card check ${tier.ok ? "check-ok" : "check-bad"}`} data-testid={`tier-${tier.tier}`}>
      <h2><span class={`dot ${tier.ok ? "dot-playing" : "dot-offline"}`} />{tier.tier === "hot" ? "Hot storage" : "Cold storage"}</h2>
      <div>{fileSize(tier.used_bytes)} of footage{tier.free_bytes !== null && <> · {fileSize(tier.free_bytes)} free</>}</div>
      <div>Room for more footage at the current rate: {days}</div>
      {tier.error && <div class="status-error">{tier.error}</div>}
      <div class="muted small">{tier.location}</div>
    </div>
  );
}

function Recorder({ recorder }: { recorder: RecorderReport }) {
  return (
    <div class={`card check ${recorder.alive ? "check-ok" : "check-bad"}`} data-testid="recorder">
      <h2><span class={`dot ${recorder.alive ? "dot-playing" : "dot-offline"}`} />{recorder.hostname} <span class="muted small">pid {recorder.pid}</span></h2>
      <div>{recorder.alive ? "Running" : "Stopped"} · last heartbeat {ago(recorder.heartbeat_at)}</div>
      <div class="muted small">started {dateTime(recorder.started_at)}</div>
      {recorder.cameras.length === 0
        ? <div class="muted">No cameras.</div>
        : (
          <ul class="plain">
            {recorder.cameras.map((camera) => (
              <li key={camera.id}>
                <StateBadge state={camera.state} /> {camera.name}
                {camera.last_error && <span class="status-error"> {camera.last_error}</span>}
              </li>
            ))}
          </ul>
        )}
      {recorder.standing_by.length > 0 && (
        <div class="muted small" data-testid="standing-by">
          Stands by for {recorder.standing_by.map((camera) => camera.name).join(", ")}
        </div>
      )}
    </div>
  );
}

export function HealthPage() {
  const [report, setReport] = useState<Health | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);

  const load = useCallback(async () => {
    try {
      setReport(await health.get());
      setError(null);
      setCheckedAt(new Date());
    } catch (failure) {
      setError(failure);
    }
  }, []);

  useEffect(() => {
    load();
  }, [load]);

  return (
    <section class="health-page">
      <div class="page-title">
        <h1>Health</h1>
        {checkedAt && <span class="muted">checked {checkedAt.toLocaleTimeString()}</span>}
        <span class="spacer" />
        <button type="button" onClick={load}>Check again</button>
      </div>
      <ErrorNote error={error} title="The health check failed." />
      {!report && !error && <Loading what="the health report" />}
      {report && (
        <>
          <div class={`banner ${report.ok ? "banner-ok" : "banner-bad"}`} data-testid="health-summary" data-ok={String(report.ok)}>
            {report.ok ? "Everything works." : "Something needs attention; see below."}
          </div>
          <div class="checks">
            <Check title="Database" check={report.database}>{report.database.engine && <div class="muted">{report.database.engine}</div>}</Check>
            <Check title="Redis" check={report.redis}>{report.redis.detail && <div class="muted">{report.redis.detail}</div>}</Check>
            <Check title="Disk" check={report.disk}>
              <div>{report.disk.free_gib} GiB free of {report.disk.total_gib} GiB</div>
              <div class="muted small">Oldest recordings are deleted below {report.disk.floor_gib} GiB · {report.disk.path}</div>
            </Check>
            <Check title="Storage" check={report.storage}><div class="muted small">{report.storage.location}</div></Check>
            {report.storage.tiers.map((tier) => <Tier tier={tier} key={tier.tier} />)}
          </div>
          {report.cameras_without_recorder.length > 0 && (
            <div class="notice notice-error" data-testid="unrecorded">
              Not being recorded although they should be: {report.cameras_without_recorder.join(", ")}. Is a recorder running?
            </div>
          )}
          {report.cameras_without_analytics.length > 0 && (
            <div class="notice notice-error" data-testid="unanalysed">
              Not being analysed although they should be: {report.cameras_without_analytics.join(", ")}. Is an analytics worker running?
            </div>
          )}
          {report.storage.waiting.map((camera) => (
            <div class="notice notice-error" data-testid="storage-waiting" key={camera.name}>
              Recordings of {camera.name} wait on their recorder: {camera.storage_error}
            </div>
          ))}
          {report.analytics_problems.map((problem) => (
            <div class="notice notice-error" data-testid="analytics-problem" key={problem.camera}>
              Analytics of {problem.camera} do not run: {problem.error}
            </div>
          ))}
          <h2>Recorders</h2>
          {report.recorders.length === 0 && <p class="muted">No recorder is running. Start one with <code>manage.py recorder</code>.</p>}
          <div class="checks">
            {report.recorders.filter((r) => r.alive).map((recorder) => <Recorder recorder={recorder} key={recorder.name} />)}
          </div>
          {report.recorders.some((r) => !r.alive) && (
            <details class="stopped-recorders">
              <summary>Stopped recorders ({report.recorders.filter((r) => !r.alive).length})</summary>
              <div class="checks">
                {report.recorders.filter((r) => !r.alive).map((recorder) => <Recorder recorder={recorder} key={recorder.name} />)}
              </div>
            </details>
          )}
        </>
      )}
    </section>
  );
}
