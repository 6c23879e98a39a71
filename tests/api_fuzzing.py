"""The API fuzz harness, host side: a user of each role and a little of everything in the database, then one
fuzzing session (tests/api_fuzz_session.py) in a private network namespace, and its findings in words.

Used by tests/test_api_fuzz.py (a bounded number of examples) and bench/fuzz_api.py (a number of minutes)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import connection

from accounts.models import CameraAccess
from accounts.roles import ADMIN, INVESTIGATOR, OPERATOR
from analytics.models import Alarm, Event, Rule, Zone
from devices.models import Camera, DeviceEvent, PrivacyMask
from redaction.models import Export
from tests.factories import record_run

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "fuzzing horse battery"
# The fuzzing users' ids are far above the rows the fuzzer reaches by guessing small ids, so the Admin's session
# does not delete or demote the users it runs as.
FIRST_FUZZER_ID = 7_000_001


def seed_api_data() -> dict[str, str]:
    """A user of each role to fuzz as, and one of each thing the API shows, for detail routes to find.

    Returns {role: username}."""
    users = {}
    for offset, role in enumerate((ADMIN, OPERATOR, INVESTIGATOR)):
        user = User(pk=FIRST_FUZZER_ID + offset, username=f"fuzz-{role.lower()}")
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[role] = user.username
    User.objects.create_user("someone-else", password=PASSWORD)
    lobby = Camera.objects.create(name="Lobby", main_url="rtsp://127.0.0.1:8554/lobby")
    Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault")
    CameraAccess.objects.create(camera=lobby, group=Group.objects.get(name=OPERATOR))
    CameraAccess.objects.create(camera=lobby, user=User.objects.get(username=users[INVESTIGATOR]))
    area = Zone.objects.create(camera=lobby, name="Yard", kind="area", points=[[0, 0], [1, 0], [1, 1]])
    rule = Rule.objects.create(camera=lobby, name="Loitering", condition="dwell", zone=area)
    PrivacyMask.objects.create(camera=lobby, name="Window", points=[[0, 0], [0.2, 0], [0.2, 0.2]])
    start = datetime(2026, 11, 20, tzinfo=UTC)
    Rule.objects.create(camera=lobby, name="Door", condition="camera_event", event_kind="digital_input",
                        event_items={"InputToken": "1"})
    DeviceEvent.objects.create(camera=lobby, at=start, camera_time=start, topic="tns1:Device/Trigger/DigitalInput",
                               kind="digital_input", operation="Changed", state=True, source={"InputToken": "1"},
                               data={"LogicalState": "true"})
    segments = record_run(lobby, start, 3)
    event = Event.objects.create(camera=lobby, rule=rule, rule_name=rule.name, condition="dwell", started_at=start,
                                 ended_at=start + timedelta(seconds=20), object_class="person")
    Alarm.objects.create(event=event, camera=lobby, severity=2, raised_at=start)
    export = Export.objects.create(camera=lobby, start=start, end=start + timedelta(seconds=30), reason="fuzzing",
                                   requested_by_name=users[INVESTIGATOR])
    export.source_segments.set(segments)
    return users


def fuzz_api(users: dict[str, str], report_dir: Path, *, examples: int, minutes: float | None = None,
             seed: int | None = None, roles: list[str] | None = None, coverage_phase: bool = False,
             negative_data_rejection: bool = False) -> dict:
    """One session against the current database (committed rows): the summary the session wrote."""
    seed = random.getrandbits(32) if seed is None else seed
    session = [sys.executable, "-m", "tests.api_fuzz_session", "--database", connection.settings_dict["NAME"],
               "--report-dir", str(report_dir), "--users", json.dumps(users), "--password", PASSWORD,
               "--examples", str(examples), "--seed", str(seed), *(["--minutes", str(minutes)] if minutes else []),
               *(["--roles", *roles] if roles else []),
               *(["--coverage-phase"] if coverage_phase else []),
               *(["--negative-data-rejection"] if negative_data_rejection else [])]
    # A namespace of its own with only loopback, up: the server and the fuzzer inside it reach each other alone.
    subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *session], cwd=ROOT,
                   check=True, timeout=3600)
    return json.loads((report_dir / "summary.json").read_text())


def describe(summary: dict) -> str:
    """The session's figures per role, then each failure with the request that caused it."""
    rounds = ", ".join(f"{role} {count}" for role, count in summary["rounds"].items())
    lines = [f"seed {summary['seed']}, {summary['examples']} examples per operation in each round; rounds: {rounds}"]
    for role, tally in summary["roles"].items():
        lines.append(f"{role:>12}: {tally['operations']} operations, {tally['requests']} requests in "
                     f"{tally['seconds']} s, {len(tally['failures'])} failures, {len(tally['errors'])} errors; "
                     f"slowest: {'; '.join(tally['slowest'][:3])}")
    for role, tally in summary["roles"].items():
        for failure in tally["failures"]:
            lines.append(f"[{role}] {failure['check']} on {failure['operation']}: {failure['status']} for "
                         f"{failure['request']} {failure['body']}\n    {failure['message']}\n    "
                         f"{failure['response'][:200]}")
        lines += [f"[{role}] error: {error}" for error in tally["errors"]]
    return "\n".join(lines)
