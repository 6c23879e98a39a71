/** A camera's live status in words: a coloured state, the stream facts (its sound too) when online, the error when
 * not and what went wrong with a stream recording survived (no sound, say) when online, why its analytics or its own
 * events are not working, and what to know about how it is analysed. */

import type { LiveStatus } from "../api/types";
import { ago, bitrate, codec, fps, resolution } from "../components/format";

const LABELS: Record<LiveStatus["state"], string> = {
  online: "Online",
  offline: "Offline",
  error: "Error",
  disabled: "Disabled",
  unknown: "Not yet connected",
  recorder_lost: "Recorder lost",
};

export function StateBadge({ state }: { state: LiveStatus["state"] }) {
  return <span class={`state state-${state}`} data-state={state}>{LABELS[state] ?? state}</span>;
}

interface CameraStatusProps {
  status: LiveStatus;
  /** Why the camera's own events (ONVIF) are not received, empty when they are or are not asked for. */
  eventsError: string;
  /** The camera's `analytics_notice`, e.g. that this server's detector is not to be trusted on a thermal camera. */
  analyticsNotice: string;
}

export function CameraStatus({ status, eventsError, analyticsNotice }: CameraStatusProps) {
  const facts = status.state === "online"
    ? [codec(status.codec), resolution(status.width, status.height), fps(status.fps), bitrate(status.bitrate),
      status.audio && `sound ${status.audio}`].filter(Boolean).join(" · ")
    : "";
  return (
    <div class="camera-status" data-testid="camera-status" data-state={status.state}>
      <StateBadge state={status.state} />
      {facts && <span class="facts">{facts}</span>}
      {status.state !== "online" && status.last_error && <span class="status-error">{status.last_error}</span>}
      {status.state === "online" && status.last_error && <span class="note" data-testid="stream-notice">{status.last_error}</span>}
      {status.analytics_error && <span class="status-error" data-testid="analytics-error">Analytics: {status.analytics_error}</span>}
      {status.storage_error && <span class="status-error" data-testid="storage-error">Storage: {status.storage_error}</span>}
      {eventsError && <span class="status-error" data-testid="events-error">Camera events: {eventsError}</span>}
      {analyticsNotice && <span class="note" data-testid="analytics-notice">{analyticsNotice}</span>}
      {status.changed_at && <span class="muted small" title={status.changed_at}>changed {ago(status.changed_at)}</span>}
    </div>
  );
}
