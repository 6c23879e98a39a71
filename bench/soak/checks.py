"""The soak test's verdict: every segment intact and indexed, footage coverage per camera, no export stuck,
no alarm lost or duplicated; printed as tables, and as JSON for the test suite."""

from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from analytics.models import Alarm
from bench.soak.harness import RunRecord
from recordings.models import Segment
from redaction.models import Export, ExportStatus
from storage.configured import exports_store
from video.segments import PART_SUFFIX

COVERAGE_GOAL = 0.99
# Outages after which cameras are taken up again only once a lease has run out.
LEASED_OUTAGES = ("recorder", "disk")
# Outages during which an unplugged camera cannot be seen as offline (no recorder reads it, or no analytics
# worker applies its rules): an alarm may be missing then, but never doubled.
BLIND_OUTAGES = ("recorder", "analytics")
# An offline alarm belongs to the unplugging it follows if raised within this many seconds after the camera
# came back (plus a lease, when a process was down meanwhile).
ALARM_SLACK_SECONDS = 15.0


@dataclass
class Check:
    name: str
    passed: bool
    figure: str
    goal: str
    details: list[str] = field(default_factory=list)


@dataclass
class Coverage:
    camera: int
    raw: float
    adjusted: float
    seconds: float
    excluded_seconds: float


Span = tuple[float, float]


def merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for since, until in sorted(spans):
        if out and since <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], until))
        else:
            out.append((since, until))
    return out


def covered_seconds(spans: list[Span], window: Span) -> float:
    return sum(max(0.0, min(until, window[1]) - max(since, window[0])) for since, until in merged(spans))


def overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def segment_problem(segment: Segment) -> str | None:
    """What is wrong with an indexed segment's file, if anything."""
    if not segment.file.is_file():
        return f"{segment.path}: indexed, but the file is missing"
    data = segment.file.read_bytes()
    if len(data) != segment.size or hashlib.sha256(data).hexdigest() != segment.sha256:
        return f"{segment.path}: {len(data)} bytes whose sha256 differs from the index"
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                            str(segment.file)], capture_output=True, text=True, timeout=30, check=False)
    if probe.returncode != 0 or probe.stderr.strip():
        return f"{segment.path}: ffprobe says {probe.stderr.strip()[:200] or probe.returncode}"
    return None


def check_segments() -> Check:
    """Every indexed segment is whole (size and sha256 as recorded) and ffprobe reads it; no file was left
    out of the index."""
    segments = list(Segment.objects.order_by("camera", "start"))
    indexed = {segment.path for segment in segments}
    with ThreadPoolExecutor(max_workers=4) as pool:  # ffprobe is a process each: a thread waits on it
        problems = [problem for problem in pool.map(segment_problem, segments) if problem]
    on_disk = list(settings.RECORDINGS_ROOT.glob("*/*/*.mp4"))
    unindexed = [str(path.relative_to(settings.RECORDINGS_ROOT)) for path in on_disk
                 if str(path.relative_to(settings.RECORDINGS_ROOT)) not in indexed]
    problems += [f"{path}: on disk but not indexed (lost to the timeline)" for path in unindexed]
    parts = list(settings.RECORDINGS_ROOT.glob(f"*/*/*{PART_SUFFIX}"))
    problems += [f"{path.relative_to(settings.RECORDINGS_ROOT)}: left half-written" for path in parts]
    return Check("segments intact and indexed", not problems,
                 f"{len(segments)} indexed, {len(problems)} bad ({len(unindexed)} unindexed files)",
                 "all verify, none unindexed", problems)


def coverage(record: RunRecord, lease_seconds: float) -> list[Coverage]:
    """Share of the run's wall time covered by indexed footage, per camera: raw, and leaving out the outages
    in which no recorder could record (a recorder down, or the disk full, plus one lease)."""
    window = (record.began, record.ended)
    excluded = [(max(since, window[0]), min(until, window[1])) for since, until in merged(
        [(o.since, o.until + lease_seconds) for o in record.outages if o.kind in LEASED_OUTAGES])]
    excluded_seconds = covered_seconds(excluded, window)
    rows = []
    for camera in record.recording_cameras:
        spans = [(s.timestamp(), e.timestamp()) for s, e in
                 Segment.objects.filter(camera_id=camera, unmasked=False).values_list("start", "end")]
        seconds = covered_seconds(spans, window)
        inside_outages = sum(covered_seconds(spans, outage) for outage in excluded)
        total = window[1] - window[0]
        rows.append(Coverage(camera, seconds / total, (seconds - inside_outages) / max(total - excluded_seconds, 1e-9),
                             seconds, excluded_seconds))
    return rows


def check_coverage(rows: list[Coverage]) -> Check:
    worst = min(rows, key=lambda row: row.adjusted)
    low = [f"camera {row.camera}: {row.adjusted:.2%} adjusted ({row.raw:.2%} raw)" for row in rows
           if row.adjusted < COVERAGE_GOAL]
    return Check("footage coverage (adjusted)", not low,
                 f"worst {worst.adjusted:.2%} adjusted, {min(row.raw for row in rows):.2%} raw",
                 f">= {COVERAGE_GOAL:.0%} of each camera's time outside outages", low)


def check_exports(record: RunRecord) -> Check:
    """Every export requested is done (its file whole) or failed; none is left detecting or rendering."""
    exports = list(Export.objects.filter(pk__in=record.exports))
    store = exports_store()
    problems = []
    for export in exports:
        if export.status not in (ExportStatus.DONE, ExportStatus.FAILED):
            problems.append(f"export {export.pk}: stuck {export.status} at {export.progress:.0%}")
        elif export.status == ExportStatus.DONE and (
                not store.exists(export.file)
                or hashlib.sha256(store.read(export.file)).hexdigest() != export.sha256):
            problems.append(f"export {export.pk}: done, but its file is missing or differs from its sha256")
    counts = {status: sum(e.status == status for e in exports) for status in ExportStatus.values}
    failed = [f"export {e.pk}: failed: {e.error}" for e in exports if e.status == ExportStatus.FAILED]
    figure = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "none requested"
    return Check("exports finished", not problems and bool(exports), figure, "all done or failed, none stuck",
                 problems + failed)


def check_alarms(record: RunRecord, lease_seconds: float) -> Check:
    """One offline alarm per unplugging of the alarm camera: none lost, none doubled, none out of the blue."""
    raised = [a.raised_at.timestamp() for a in Alarm.objects.filter(camera_id=record.alarm_camera)]
    blind = [(o.since, o.until + lease_seconds) for o in record.outages if o.kind in BLIND_OUTAGES]
    problems, matched, expected, unobservable = [], set(), 0, 0
    for since, until in record.episodes:
        seen = any(overlap((since, until + ALARM_SLACK_SECONDS), span) for span in blind)
        reach = until + ALARM_SLACK_SECONDS + (lease_seconds if seen else 0)
        mine = [t for t in raised if since - 1 <= t <= reach]
        matched.update(mine)
        at = datetime.fromtimestamp(since, UTC).strftime("%H:%M:%S")
        if seen:
            unobservable += 1
        else:
            expected += 1
            if not mine:
                problems.append(f"camera unplugged at {at} for {until - since:.0f} s: no alarm (lost)")
        if len(mine) > 1:
            problems.append(f"camera unplugged at {at}: {len(mine)} alarms (duplicated)")
    stray = [t for t in raised if t not in matched]
    problems += [f"alarm at {datetime.fromtimestamp(t, UTC):%H:%M:%S} with the camera plugged in" for t in stray]
    figure = (f"{len(raised)} alarms for {len(record.episodes)} unpluggings ({expected} expected to alarm, "
              f"{unobservable} during a recorder/analytics outage)")
    return Check("offline alarms", not problems and expected > 0, figure, "exactly one per unplugging", problems)


def all_checks(record: RunRecord) -> tuple[list[Check], list[Coverage]]:
    lease = settings.RECORDER_LEASE_SECONDS
    rows = coverage(record, lease)
    return [check_segments(), check_coverage(rows), check_exports(record), check_alarms(record, lease)], rows


def print_report(record: RunRecord, checks: list[Check], rows: list[Coverage]) -> None:
    print("\nFaults (wall time from the start of the soak)")
    print(f"  {'at':>7}  {'fault':<10} {'back after':>10}  note")
    for outage in record.outages:
        print(f"  {outage.since - record.began:6.1f}s  {outage.kind:<10} {outage.until - outage.since:9.1f}s  "
              f"{outage.note}")
    print(f"  API calls retried while the web process or the database was away: {record.api_retries}")
    print(f"\nCoverage of {record.ended - record.began:.0f} s per camera "
          f"(adjusted: outside {rows[0].excluded_seconds:.0f} s of recorder/disk outages plus a lease)")
    print(f"  {'camera':>6}  {'raw':>7}  {'adjusted':>8}")
    for row in rows:
        print(f"  {row.camera:>6}  {row.raw:7.2%}  {row.adjusted:8.2%}")
    print("\nChecks")
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"  {'PASS' if check.passed else 'FAIL'}  {check.name:<{width}}  {check.figure}   (goal: {check.goal})")
        for line in check.details[:20]:
            print(f"          {line}")
        if len(check.details) > 20:
            print(f"          ... and {len(check.details) - 20} more")


def report_json(record: RunRecord, checks: list[Check], rows: list[Coverage]) -> dict:
    return {"record": asdict(record), "checks": [asdict(check) for check in checks],
            "coverage": [asdict(row) for row in rows]}
