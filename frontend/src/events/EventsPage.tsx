/** What the rules saw, newest first, filtered by camera, rule, object and time; each opens its replay. */

import { useEffect, useState } from "preact/hooks";
import { cameras as camerasApi, events, type EventFilters } from "../api/endpoints";
import { query } from "../api/http";
import type { Camera, CameraEvent } from "../api/types";
import { navigate, useLocation } from "../app/router";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { dateTime } from "../components/format";
import { Pager } from "../components/Pager";
import { EventFilterForm } from "./EventFilterForm";
import { lengthWords, objectWords } from "./eventWords";

const PAGE_SIZE = 50;
const FILTERS: (keyof EventFilters)[] = ["camera", "rule", "object_class", "start", "end", "has_alarm"];

/** The filters live in the address, so Back from a replay returns to the same list and a list can be shared. */
function filtersOf(search: URLSearchParams): EventFilters {
  return Object.fromEntries(FILTERS.filter((key) => search.get(key)).map((key) => [key, search.get(key)!]));
}

function EventRow({ event }: { event: CameraEvent }) {
  const replay = `/events/${event.id}`;
  return (
    <tr class="event-row" data-event-id={event.id} data-alarm={String(event.alarm !== null)} onClick={() => navigate(replay)}>
      <td class="event-thumb">
        <a href={replay} aria-label={`Replay ${event.rule_name} at ${dateTime(event.started_at)}`}>
          {event.snapshot_url
            ? <img src={event.snapshot_url} alt="" loading="lazy" data-testid="event-snapshot" />
            : <span class="muted small">No picture</span>}
        </a>
      </td>
      <td>{event.camera_name}</td>
      <td><a href={replay}>{event.rule_name}</a></td>
      <td>{objectWords(event)}</td>
      <td class="nowrap">{dateTime(event.started_at)}</td>
      <td class="nowrap">{lengthWords(event)}</td>
      <td>{event.alarm === null ? "No" : <strong class="danger-text">Yes</strong>}</td>
    </tr>
  );
}

export function EventsPage() {
  const { search } = useLocation();
  const filterKey = search.toString();
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ count: number; results: CameraEvent[] } | null>(null);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<unknown>(null);
  const filters = filtersOf(search);

  useEffect(() => {
    camerasApi.list().then(setCameras, () => undefined);
  }, []);

  useEffect(() => setOffset(0), [filterKey]);

  useEffect(() => {
    let current = true;
    events.list(filtersOf(new URLSearchParams(filterKey)), PAGE_SIZE, offset).then(
      (answer) => { if (current) { setPage(answer); setError(null); } },
      (failure) => { if (current) setError(failure); },
    );
    return () => { current = false; };
  }, [filterKey, offset]);

  const filtered = Object.keys(filters).length > 0;
  return (
    <section class="events-page">
      <div class="page-title"><h1>Events</h1>{page && <span class="muted">{page.count} events</span>}</div>
      <EventFilterForm key={filterKey} cameras={cameras} filters={filters}
        onApply={(next) => navigate(`/events${query({ ...next })}`)} />
      <ErrorNote error={error} title="The events could not be loaded." />
      {!page && !error && <Loading what="events" />}
      {page && page.results.length === 0 && (
        <Empty><p>{filtered ? "No events match these filters." : "No events yet. Rules on analysed cameras make them."}</p></Empty>
      )}
      {page && page.results.length > 0 && (
        <>
          <table class="table event-table">
            <thead><tr><th>Picture</th><th>Camera</th><th>Rule</th><th>Object</th><th>Started</th><th>Lasted</th><th>Alarm</th></tr></thead>
            <tbody>{page.results.map((event) => <EventRow key={event.id} event={event} />)}</tbody>
          </table>
          <Pager offset={offset} shown={page.results.length} count={page.count} pageSize={PAGE_SIZE} onOffset={setOffset} />
        </>
      )}
    </section>
  );
}
