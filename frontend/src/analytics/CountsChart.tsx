/** How many objects entered each area or crossed each line, per 15 minutes, hour or day: a stacked bar chart. */

import { useEffect, useState } from "preact/hooks";
import { counts as countsApi } from "../api/endpoints";
import type { CountBucket, Counts } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { clock } from "../components/format";
import { axisTicks, barsOf, BUCKET_MS, seriesOf, SPAN_MS } from "./countSeries";

const BUCKETS: [CountBucket, string][] = [
  ["15min", "15 minutes, over the last 6 hours"],
  ["hour", "Hour, over the last 24 hours"],
  ["day", "Day, over the last 7 days"],
];

// The chart's own units; the SVG scales to the width of the page.
const WIDTH = 640;
const HEIGHT = 200;
const PLOT = { left: 36, right: 8, top: 10, bottom: 22 };

function tickLabel(at: number, bucket: CountBucket): string {
  const date = new Date(at);
  return bucket === "day" ? date.toLocaleDateString(undefined, { weekday: "short", day: "numeric" }) : clock(date, false);
}

export function CountsChart({ camera }: { camera: number }) {
  const [bucket, setBucket] = useState<CountBucket>("hour");
  const [answer, setAnswer] = useState<{ counts: Counts; start: number; end: number } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    const end = Date.now();
    const start = end - SPAN_MS[bucket];
    setAnswer(null);
    countsApi.get(camera, bucket, new Date(start), new Date(end), controller.signal).then(
      (counts) => { setAnswer({ counts, start, end }); setError(null); },
      (failure) => { if (!controller.signal.aborted) setError(failure); },
    );
    return () => controller.abort();
  }, [camera, bucket]);

  const series = answer ? seriesOf(answer.counts.results) : [];
  const bars = answer ? barsOf(answer.counts.results, series) : [];
  // A day bucket starts at midnight, before the span asked for, and the newest bucket ends after now: the axis spans them.
  const start = answer ? Math.min(answer.start, ...bars.map((bar) => bar.start)) : 0;
  const end = answer ? Math.max(answer.end, ...bars.map((bar) => bar.start + BUCKET_MS[bucket])) : 1;
  const top = Math.max(1, ...bars.map((bar) => bar.total));
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (at: number) => PLOT.left + ((at - start) / (end - start)) * plotWidth;
  const y = (value: number) => PLOT.top + plotHeight - (value / top) * plotHeight;
  const barWidth = Math.max(1, (BUCKET_MS[bucket] / (end - start)) * plotWidth - 1);

  return (
    <section class="card counts" data-testid="counts">
      <div class="section-title">
        <h2>Counts</h2>
        <span class="spacer" />
        <label class="inline-field">
          Counts per
          <select value={bucket} onChange={(e) => setBucket(e.currentTarget.value as CountBucket)}>
            {BUCKETS.map(([value, words]) => <option value={value}>{words}</option>)}
          </select>
        </label>
      </div>
      <ErrorNote error={error} title="The counts could not be loaded." />
      {!answer && !error && <Loading what="counts" />}
      {answer && bars.length === 0 && (
        <p class="muted">Nothing counted in this span. Areas count objects entering them, lines count crossings per direction.</p>
      )}
      {answer && bars.length > 0 && (
        <>
          <svg class="counts-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Bar chart of the counts"
            data-testid="counts-chart" data-bucket={answer.counts.bucket}>
            <line class="axis" x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(0)} y2={y(0)} />
            <line class="grid" x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(top)} y2={y(top)} />
            <text class="axis-label" x={PLOT.left - 4} y={y(top)} text-anchor="end" dominant-baseline="middle">{top}</text>
            <text class="axis-label" x={PLOT.left - 4} y={y(0)} text-anchor="end" dominant-baseline="middle">0</text>
            {axisTicks(start, end, bucket).map((at) => (
              <text class="axis-label" x={x(at)} y={HEIGHT - 6} text-anchor="middle">{tickLabel(at, bucket)}</text>
            ))}
            {bars.map((bar) => bar.parts.map((part) => (
              <rect x={x(bar.start)} width={barWidth} y={y(part.below + part.count)} height={y(part.below) - y(part.below + part.count)}
                fill={part.series.colour} data-series={part.series.key} data-count={part.count} data-bucket-start={new Date(bar.start).toISOString()}>
                <title>{`${new Date(bar.start).toLocaleString()} · ${part.series.label}: ${part.count}`}</title>
              </rect>
            )))}
          </svg>
          <ul class="legend" aria-label="Series">
            {series.map((s) => (
              <li key={s.key} data-series={s.key}>
                <span class="swatch" style={{ background: s.colour }} />{s.label} <span class="muted">({s.total})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
