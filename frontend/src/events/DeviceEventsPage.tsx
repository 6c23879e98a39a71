/**
 * What the cameras reported themselves (their ONVIF events), newest first, filtered by camera, kind, topic, state and
 * time. The first page loads again as cameras report new ones on the cameras socket.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { cameras as camerasApi, deviceEvents, type DeviceEventFilters } from "../api/endpoints";
import { query, type Page } from "../api/http";
import type { Camera, DeviceEvent } from "../api/types";
import { DEVICE_EVENT_KIND_WORDS, itemWords } from "../analytics/vocabulary";
import { navigate, useLocation } from "../app/router";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { dateTime } from "../components/format";
import { Pager } from "../components/Pager";
import { listenToCameras } from "../realtime/cameraSocket";
import { DeviceEventFilterForm } from "./DeviceEventFilterForm";

const PAGE_SIZE = 50;
const FILTERS: (keyof DeviceEventFilters)[] = ["camera", "kind", "topic", "state", "start", "end"];

/** "device.event": what a camera reported, as it is kept (without the camera's name and clock). */
interface DeviceEventMessage {
  type: "device.event";
  data: Pick<DeviceEvent, "id" | "camera" | "at" | "topic" | "kind" | "state" | "source" | "data">;
}

/** The filters live in the address, so a list can be shared and a camera's settings can link to its events. */
function filtersOf(search: URLSearchParams): DeviceEventFilters {
  return Object.fromEntries(FILTERS.filter((key) => search.get(key)).map((key) => [key, search.get(key)!]));
}

function stateWords(state: boolean | null): string {
  if (state === null) return "—";
  return state ? "On" : "Off";
}

function Items({ items }: { items: Record<string, string> }) {
  const lines = itemWords(items);
  if (!lines.length) return <span class="muted">—</span>;
  return <>{lines.map((line) => <div>{line}</div>)}</>;
}

function DeviceEventRow({ event }: { event: DeviceEvent }) {
  return (
    <tr data-testid="device-event-row" data-device-event-id={event.id} data-kind={event.kind}>
      <td class="nowrap" title={`On the camera's clock: ${dateTime(event.camera_time)}`}>{dateTime(event.at)}</td>
      <td>{event.camera_name}</td>
      <td>{DEVICE_EVENT_KIND_WORDS[event.kind] ?? event.kind}</td>
      <td class="topic">{event.topic}</td>
      <td data-state={String(event.state)}>{stateWords(event.state)}</td>
      <td class="small"><Items items={event.source} /></td>
      <td class="small"><Items items={event.data} /></td>
    </tr>
  );
}

export function DeviceEventsPage() {
  const { search } = useLocation();
  const filterKey = search.toString();
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<DeviceEvent> | null>(null);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);
  // How often cameras reported, or the socket connected again, since the page opened: each loads the first page again.
  const [reported, setReported] = useState(0);
  const filters = filtersOf(search);
  const shownCamera = useRef(filters.camera);
  shownCamera.current = filters.camera;

  useEffect(() => {
    camerasApi.list().then(setCameras, () => undefined);
  }, []);

  useEffect(() => listenToCameras({
    onConnect: () => setReported((count) => count + 1),
    onMessage: (message: DeviceEventMessage) => {
      if (message?.type !== "device.event") return;
      if (!shownCamera.current || String(message.data?.camera) === shownCamera.current) setReported((count) => count + 1);
    },
  }), []);

  useEffect(() => setOffset(0), [filterKey]);

  // Older pages stay as they are while cameras report: what they show would shift under the reader.
  const firstPageReported = offset === 0 ? reported : 0;
  useEffect(() => {
    const controller = new AbortController();
    deviceEvents.list(filtersOf(new URLSearchParams(filterKey)), PAGE_SIZE, offset, controller.signal).then(
      (answer) => { if (!controller.signal.aborted) { setPage(answer); setError(null); } },
      (failure) => { if (!controller.signal.aborted) setError(failure); },
    );
    return () => controller.abort();
  }, [filterKey, offset, firstPageReported]);

  const filtered = Object.keys(filters).length > 0;
  return (
    <section class="device-events-page">
      <div class="page-title"><h1>Camera events</h1>{page && <span class="muted">{page.count} events</span>}</div>
      <DeviceEventFilterForm key={filterKey} cameras={cameras} filters={filters}
        onApply={(next) => navigate(`/camera-events${query({ ...next })}`)} />
      <ErrorNote error={error} title="The camera events could not be loaded." />
      {!page && !error && <Loading what="camera events" />}
      {page && page.results.length === 0 && (
        <Empty>
          <p>
            {filtered
              ? "No camera events match these filters."
              : "No camera events yet. Cameras report them once “Receive the camera's own events” is on in their settings."}
          </p>
        </Empty>
      )}
      {page && page.results.length > 0 && (
        <>
          <table class="table device-event-table">
            <thead><tr><th>When</th><th>Camera</th><th>Kind</th><th>Topic</th><th>State</th><th>Source</th><th>Data</th></tr></thead>
            <tbody>{page.results.map((event) => <DeviceEventRow key={event.id} event={event} />)}</tbody>
          </table>
          <Pager offset={offset} shown={page.results.length} count={page.count} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </section>
  );
}
