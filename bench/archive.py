"""Archive benchmark: the timeline and playback of a month of footage, with many cameras' segments in the table.

Loads N cameras' month of 10 s segment rows (generate_series in SQL; no files) into a scratch database, builds
their recorded spans as the migration does, then measures over HTTP, against the real ASGI server (daphne): a
camera's timeline of a month, a week and a day (read from the spans), beside the naive gaps-and-islands query over
its segments (the query the timeline ran before, timed in the database connection alone: the HTTP around it would
only add); and the playlist of an hour around the playhead beside a whole day's playlist made the old way. It also
times what keeping the spans costs the writers: indexing a segment, and retention deleting the oldest minute.
Run it as `.venv/bin/python -m bench.archive`; see README.md.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.vms_under_test import bench_database, set_environment

DATABASE = "vms_bench_archive"
REDIS_URL = "redis://127.0.0.1:6379/14"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
SEGMENTS_A_DAY = 8640
# Each day the camera was away for five minutes, so that a month is 30 recordings and the gaps between them.
OUTAGE = (3000, 3030)
REPEATS = 30

started_at = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


LOAD_SQL = """
INSERT INTO recordings_segment (camera_id, start, "end", duration, size, sha256, path, init_size, locked,
                                unmasked, created_at)
SELECT %(camera)s, t, t + interval '10 seconds', 10, 5000000, repeat('0', 64), %(camera)s || '/' || n, 800, false,
       false, now()
FROM generate_series(0, %(segments)s - 1) AS n,
     LATERAL (SELECT %(t0)s::timestamptz + n * interval '10 seconds' AS t) AS s
WHERE n %% 8640 NOT BETWEEN %(outage_from)s AND %(outage_to)s
"""


def load(cameras: int, days: int, budget: float) -> tuple[list[int], int, float]:
    """Cameras with a month of segments each, loaded until `cameras` or the time budget runs out."""
    from django.db import connection

    from devices.models import Camera

    loaded, rows, began = [], 0, time.monotonic()
    for number in range(cameras):
        if time.monotonic() - began > budget:
            say(f"load budget of {budget:.0f} s spent after {number} cameras")
            break
        camera = Camera.objects.create(name=f"Camera {number + 1}", main_url=f"rtsp://127.0.0.1:1/{number}",
                                       enabled=False)
        with connection.cursor() as cursor:
            cursor.execute(LOAD_SQL, {"camera": camera.pk, "segments": days * SEGMENTS_A_DAY, "t0": T0,
                                      "outage_from": OUTAGE[0], "outage_to": OUTAGE[1]})
            rows += cursor.rowcount
        loaded.append(camera.pk)
        if number % 10 == 9:
            say(f"{number + 1} cameras, {rows:,} segment rows")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recordings_segment")
    return loaded, rows, time.monotonic() - began


def timed(work: Callable[[], object], repeats: int = REPEATS) -> tuple[list[float], object]:
    """Milliseconds of each run (after one to warm caches), and the last result."""
    result = work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return times, result


def figure(times: list[float]) -> str:
    return f"median {statistics.median(times):7.1f} ms, p95 {sorted(times)[int(len(times) * 0.95) - 1]:7.1f} ms"


class Api:
    """Requests to the running server over one kept-alive connection, as a browser makes them."""

    def __init__(self, base: str, key: str) -> None:
        self.connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
        self.headers = {"Authorization": f"Token {key}"}

    def get(self, path: str, **query: str) -> tuple[bytes, http.client.HTTPResponse]:
        self.connection.request("GET", path + ("?" + urlencode(query) if query else ""), headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
        return body, response


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def measure(args: argparse.Namespace, media_root: Path) -> None:
    from django.contrib.auth.models import User

    from accounts import tokens
    from devices.models import Camera
    from recordings import playback, recorded_spans
    from recordings.api.views import _part_url
    from recordings.models import RecordedSpan, Segment
    from recordings.retention import RetentionReport, delete_segments
    from recordings.services import index_segments
    from tests.web_server import web_server

    cameras, rows, load_seconds = load(args.cameras, args.days, args.load_budget)
    say(f"loaded {len(cameras)} cameras, {rows:,} segment rows in {load_seconds:.0f} s; building their spans")
    began = time.monotonic()
    spans = recorded_spans.rebuild()
    build_seconds = time.monotonic() - began
    camera = cameras[-1]
    user = User.objects.create_superuser("bench", password="bench-archive-password")
    key = tokens.issue(user, "bench")[1]
    end = T0 + timedelta(days=args.days)
    spans_of = {"month": (T0, end), "week": (end - timedelta(days=7), end), "day": (end - timedelta(days=1), end)}
    lines = [f"archive: {len(cameras)} cameras x {args.days} days of 10 s segments = {rows:,} segment rows "
             f"(loaded in {load_seconds:.0f} s); {spans:,} recorded spans built from them in {build_seconds:.1f} s "
             f"(what the data migration does)", "",
             f"{'':18} {'ours: spans, over HTTP':>42}   {'naive gaps-and-islands, SQL alone':>42}"]
    empty = Camera.objects.create(name="No footage", main_url="rtsp://127.0.0.1:1/none", enabled=False).pk
    with web_server(media_root) as base:
        api = Api(base, key)
        floor, _ = timed(lambda: api.get(f"/api/v1/cameras/{empty}/timeline/", start=iso(T0), end=iso(end)))
        lines.append(f"HTTP floor        {figure(floor):>42}   (the timeline of a camera without footage)")
        for name, (since, until) in spans_of.items():
            ours, body = timed(lambda since=since, until=until: api.get(
                f"/api/v1/cameras/{camera}/timeline/", start=iso(since), end=iso(until))[0])
            naive, islands = timed(lambda since=since, until=until: recorded_spans.islands([camera], since, until))
            lines.append(f"timeline {name:9} {figure(ours):>42}   {figure(naive):>42}   "
                         f"({len(islands)} recordings, {len(body):,} bytes)")
        day_start = end - timedelta(days=1)
        at = day_start + timedelta(hours=12)
        window, (text, response) = timed(lambda: api.get(
            f"/api/v1/cameras/{camera}/playlist.m3u8", start=iso(day_start), end=iso(end), at=iso(at)))
        playback_id = response.getheader("Playback-Id")

        def a_day_in_one() -> str:
            segments = list(playback.segments_in_span(camera, day_start, end))
            return playback.hls_playlist(segments, _part_url("media"), _part_url("init"), int(playback_id))

        whole, day_text = timed(a_day_in_one, repeats=10)
        sizes = [f"{len(text):,} bytes, {text.count(b'#EXTINF')} segments",
                 f"{len(day_text):,} bytes, {day_text.count('#EXTINF')} segments"]
        lines += ["", f"{'':18} {'ours: an hour around the playhead, HTTP':>42}   "
                      f"{'a whole day in one playlist (old way, in process)':>42}",
                  f"playlist          {figure(window):>42}   {figure(whole):>42}",
                  f"{'':18} {sizes[0]:>42}   {sizes[1]:>42}"]

    # The writers: a segment indexed after the camera's month (spans kept) beside the bare row insert, and
    # retention deleting the camera's oldest minute, the way the recorder and retention run every 10 s and minute.
    newest = Segment.objects.filter(camera_id=camera).order_by("-start").first()

    def next_segment(number: int) -> Segment:
        start = newest.end + timedelta(seconds=10 * number)
        return Segment(camera_id=camera, start=start, end=start + timedelta(seconds=10), duration=10, size=1,
                       sha256="0" * 64, init_size=800, path=f"{camera}/bench-{number}")

    numbers = iter(range(10**6))
    indexed: list[int] = []
    with_spans, _ = timed(lambda: indexed.extend(s.pk for s in index_segments([next_segment(next(numbers))])),
                          repeats=200)
    row_only, _ = timed(lambda: next_segment(next(numbers)).save(), repeats=200)
    # Those rows were never on the timeline; they go the same way.
    Segment.objects.filter(camera_id=camera, start__gt=newest.end, path__startswith=f"{camera}/bench-").exclude(
        pk__in=indexed).delete()

    def oldest_minute() -> None:
        delete_segments(list(Segment.objects.filter(camera_id=camera).order_by("start")
                             .values_list("pk", "camera_id", "path", "size")[:6]), RetentionReport())

    retention, _ = timed(oldest_minute, repeats=50)
    spans_match = list(RecordedSpan.objects.filter(camera_id=camera).values_list("start", "end")) == [
        (start, end) for _c, start, end, _l in recorded_spans.islands([camera])]
    lines += ["", f"{'':18} {'ours: spans kept':>42}   {'the segment row alone':>42}",
              f"index a segment   {figure(with_spans):>42}   {figure(row_only):>42}",
              f"retention, 1 min  {figure(retention):>42}   (6 oldest segments of a month-long recording)",
              f"spans still equal the merged segments after it: {spans_match}"]
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=100, help="cameras of footage in the table (default 100)")
    parser.add_argument("--days", type=int, default=30, help="days of 10 s segments per camera (default 30)")
    parser.add_argument("--load-budget", type=float, default=300.0,
                        help="seconds of loading after which no further camera is loaded (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as media:
        set_environment(DATABASE, Path(media), REDIS_URL)
        with bench_database(DATABASE):
            measure(args, Path(media))


if __name__ == "__main__":
    main()
