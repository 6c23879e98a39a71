"""Zones, rules, events, alarms, counts and webhook deliveries over the API: validation, permissions, audit."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection

from accounts.models import AuditAction, AuditEntry
from analytics import services
from analytics.models import Alarm, Event, Rule, WebhookDelivery, Zone
from devices.models import Camera
from tests.conftest import grant
from video.rules import Crossing

pytestmark = pytest.mark.django_db
AREA = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]


def zones_url(camera) -> str:
    return f"/api/v1/cameras/{camera.pk}/zones/"


def rules_url(camera) -> str:
    return f"/api/v1/cameras/{camera.pk}/rules/"


@pytest.fixture
def area(camera) -> Zone:
    return Zone.objects.create(camera=camera, name="Yard", kind="area", points=AREA)


@pytest.fixture
def loopback_webhooks(settings) -> None:
    """Webhooks to this machine are refused by default; these tests' receivers listen on 127.0.0.1 only."""
    settings.OUTBOUND_ALLOW = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.fixture
def line(camera) -> Zone:
    return Zone.objects.create(camera=camera, name="Door", kind="line", points=[[0.5, 0.0], [0.5, 1.0]])


def test_admins_draw_zones_and_the_change_is_audited(admin_client, camera):
    response = admin_client.post(zones_url(camera), {"name": "Entrance", "kind": "area", "points": AREA},
                                 format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["points"] == AREA
    entry = AuditEntry.objects.get(action=AuditAction.ANALYTICS_CHANGED)
    assert entry.camera == camera and entry.detail["what"] == "zone" and entry.detail["change"] == "created"


@pytest.mark.parametrize(("zone", "field", "message"), [
    ({"kind": "line", "points": [[0, 0], [1, 1], [0.5, 0.5]]}, "points", "exactly two points"),
    ({"kind": "area", "points": [[0, 0], [1, 1]]}, "points", "at least three"),
    ({"kind": "area", "points": [[0, 0], [1.5, 1], [0, 1]]}, "points", "from 0 to 1"),
    ({"kind": "area", "points": "here"}, "points", "list of [x, y]"),
    ({"kind": "circle", "points": AREA}, "kind", "not a valid choice"),
])
def test_bad_zones_get_a_clear_error(admin_client, camera, zone, field, message):
    response = admin_client.post(zones_url(camera), {"name": "Bad", **zone}, format="json")
    assert response.status_code == 400
    assert message in json.dumps(response.json()["errors"][field])


def test_only_admins_change_zones_and_rules_and_others_may_read_them(operator_client, investigator_client,
                                                                     operator_user, investigator_user, camera, area):
    grant(camera, user=operator_user)
    grant(camera, user=investigator_user)
    for client in (operator_client, investigator_client):
        assert client.get(zones_url(camera)).status_code == 200
        assert client.post(zones_url(camera), {"name": "X", "kind": "area", "points": AREA},
                           format="json").status_code == 403
        assert client.delete(f"{zones_url(camera)}{area.pk}/").status_code == 403
        assert client.post(rules_url(camera), {"name": "R", "condition": "offline"}, format="json").status_code == 403


def test_zones_of_a_camera_not_granted_are_not_found(operator_client, camera, area):
    assert operator_client.get(zones_url(camera)).status_code == 404


def test_a_rule_needs_the_right_kind_of_zone(admin_client, camera, area, line):
    def post(**rule):
        return admin_client.post(rules_url(camera), {"name": "R", **rule}, format="json")

    assert "needs a line" in json.dumps(post(condition="cross", zone=area.pk).json()["errors"])
    assert "needs an area" in json.dumps(post(condition="dwell", zone=line.pk).json()["errors"])
    assert "Choose the area" in json.dumps(post(condition="enter").json()["errors"])
    other = Camera.objects.create(name="Other", main_url="rtsp://127.0.0.1:1/x")
    foreign = Zone.objects.create(camera=other, name="Far", kind="area", points=AREA)
    assert "another camera" in json.dumps(post(condition="enter", zone=foreign.pk).json()["errors"])
    assert "not a valid choice" in json.dumps(post(condition="enter", zone=area.pk,
                                                   object_classes=["dragon"]).json()["errors"])
    offline = post(condition="offline", zone=area.pk)
    assert offline.status_code == 201 and offline.json()["zone"] is None


def test_rules_keep_their_webhook_secret_encrypted_and_never_return_it(admin_client, camera, area, loopback_webhooks):
    response = admin_client.post(rules_url(camera), {
        "name": "Loitering", "condition": "dwell", "zone": area.pk, "dwell_seconds": 3,
        "object_classes": ["person"], "schedule": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
        "webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "hook-secret-42",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["has_webhook_secret"] is True and "webhook_secret" not in body
    assert body["schedule"] == [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret_encrypted FROM analytics_rule")
        (stored,) = cursor.fetchone()
    assert "hook-secret-42" not in stored
    assert Rule.objects.get().webhook_secret == "hook-secret-42"


def test_scene_reloads_when_a_rule_changes(admin_client, camera, area):
    rule = Rule.objects.create(camera=camera, name="In", condition="enter", zone=area)
    before = services.scene_of(camera.pk)
    assert [r.id for r in before.rules] == [rule.pk] and before.rules[0].zone.points[0] == (0.5, 0.0)
    admin_client.patch(f"{rules_url(camera)}{rule.pk}/", {"enabled": False}, format="json")
    after = services.scene_of(camera.pk)
    assert after.rules == () and after.signature != before.signature


def fire(camera, rule, **fields) -> Event:
    return services.start_event(camera.pk, rule.pk, datetime.now(UTC), "person", 4, b"\xff\xd8jpeg", **fields)


def test_a_fired_rule_makes_an_event_and_an_alarm_that_operators_acknowledge_once(
        operator_client, operator_user, camera, area):
    grant(camera, user=operator_user)
    rule = Rule.objects.create(camera=camera, name="Loitering", condition="dwell", zone=area, severity=3)
    quiet = Rule.objects.create(camera=camera, name="Just log", condition="enter", zone=area, raise_alarm=False)
    event = fire(camera, rule)
    fire(camera, quiet)
    services.end_event(event.pk, datetime.now(UTC), [{"t": "2026-11-21T10:00:00Z", "x": 0.5, "y": 0.5, "w": 0.1,
                                                       "h": 0.2}], None)
    events = operator_client.get("/api/v1/events/", {"has_alarm": "true"}).json()["results"]
    assert [(e["rule_name"], e["track_id"], len(e["boxes"])) for e in events] == [("Loitering", 4, 1)]
    assert operator_client.get(events[0]["snapshot_url"]).content == b"\xff\xd8jpeg"
    alarms = operator_client.get("/api/v1/alarms/", {"state": "active"}).json()["results"]
    assert [(a["rule_name"], a["severity"], a["acknowledged_by"]) for a in alarms] == [("Loitering", 3, None)]
    url = f"/api/v1/alarms/{alarms[0]['id']}/acknowledge/"
    response = operator_client.post(url, {"comment": "A delivery, let in"}, format="json")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "oscar-operator"
    again = operator_client.post(url, {}, format="json")
    assert again.status_code == 409 and "oscar-operator acknowledged" in again.json()["detail"]
    assert operator_client.get("/api/v1/alarms/", {"state": "active"}).json()["count"] == 0
    entry = AuditEntry.objects.get(action=AuditAction.ALARM_ACKNOWLEDGED)
    assert entry.username == "oscar-operator" and entry.detail["comment"] == "A delivery, let in"


def test_events_and_alarms_of_cameras_not_granted_are_hidden(operator_client, camera, area):
    rule = Rule.objects.create(camera=camera, name="Loitering", condition="dwell", zone=area)
    event = fire(camera, rule)
    assert operator_client.get("/api/v1/events/").json()["count"] == 0
    assert operator_client.get(f"/api/v1/events/{event.pk}/snapshot.jpg").status_code == 404
    alarm = Alarm.objects.get()
    assert operator_client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge/", {}, format="json").status_code == 404


def test_counts_come_in_time_buckets_per_zone_direction_and_class(admin_client, camera, area, line):
    at = datetime(2026, 11, 21, 10, 7, 30, tzinfo=UTC)
    services.add_counts(camera.pk, [Crossing(line.pk, "a_to_b", "person")] * 3 + [Crossing(line.pk, "b_to_a",
                                                                                           "person")], at)
    services.add_counts(camera.pk, [Crossing(line.pk, "a_to_b", "person")], at + timedelta(minutes=20))
    services.add_counts(camera.pk, [Crossing(area.pk, "in", "car")], at + timedelta(hours=1))
    query = {"camera": camera.pk, "start": "2026-11-21T09:00:00Z", "end": "2026-11-21T12:00:00Z"}
    hourly = admin_client.get("/api/v1/counts/", {**query, "bucket": "hour"}).json()
    assert [(r["zone_name"], r["direction"], r["object_class"], r["bucket_start"][11:16], r["count"])
            for r in hourly["results"]] == [("Door", "a_to_b", "person", "10:00", 4),
                                            ("Door", "b_to_a", "person", "10:00", 1),
                                            ("Yard", "in", "car", "11:00", 1)]
    quarters = admin_client.get("/api/v1/counts/", {**query, "bucket": "15min", "zone": line.pk}).json()
    assert [(r["direction"], r["bucket_start"][11:16], r["count"]) for r in quarters["results"]] == [
        ("a_to_b", "10:00", 3), ("b_to_a", "10:00", 1), ("a_to_b", "10:15", 1)]
    assert admin_client.get("/api/v1/counts/", {"camera": camera.pk}).status_code == 400


class Receiver(BaseHTTPRequestHandler):
    """Answers each POST with the next of `answers`: a status, or (status, reason phrase, headers, body)."""

    answers: list[int | tuple[int, str, dict[str, str], bytes]] = []
    received: list[tuple[object, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.headers, body))
        answer = Receiver.answers.pop(0) if Receiver.answers else 200
        code, reason, headers, content = answer if isinstance(answer, tuple) else (answer, None, {}, b"")
        self.send_response(code, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver(loopback_webhooks):
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received, Receiver.answers = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhooks_are_signed_retried_and_logged(camera, area, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ATTEMPTS = 3
    rule = Rule(camera=camera, name="Intrusion", condition="enter", zone=area, webhook_url=receiver)
    rule.webhook_secret = "hook-secret-42"
    rule.save()
    Receiver.answers = [503]
    with django_capture_on_commit_callbacks(execute=False):
        event = fire(camera, rule)
    delivery = WebhookDelivery.objects.get(event=event)
    assert services.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 503)
    assert "503" in delivery.error
    assert services.deliver(delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    headers, body = Receiver.received[-1]
    expected = "sha256=" + hmac.new(b"hook-secret-42", body, hashlib.sha256).hexdigest()
    assert headers["X-VMS-Signature"] == expected
    assert json.loads(body)["rule_name"] == "Intrusion" and json.loads(body)["event"] == event.pk


def test_a_webhook_that_never_answers_is_marked_failed_after_the_last_attempt(camera, area, settings,
                                                                              django_capture_on_commit_callbacks,
                                                                              loopback_webhooks):
    settings.WEBHOOK_ATTEMPTS = 2
    rule = Rule.objects.create(camera=camera, name="Intrusion", condition="enter", zone=area,
                               webhook_url="http://127.0.0.1:9/nobody-listens")
    with django_capture_on_commit_callbacks(execute=False):
        event = fire(camera, rule)
    delivery = WebhookDelivery.objects.get(event=event)
    assert services.deliver(delivery.pk) is False
    assert services.deliver(delivery.pk) is True  # given up: nothing more to retry
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "Could not reach the receiver" in delivery.error


def delivery_of(camera, area, url: str, django_capture_on_commit_callbacks) -> WebhookDelivery:
    """A pending delivery to `url`, made as a fired rule makes it (the rule bypasses the API's check)."""
    rule = Rule.objects.create(camera=camera, name="Intrusion", condition="enter", zone=area, webhook_url=url)
    with django_capture_on_commit_callbacks(execute=False):
        event = fire(camera, rule)
    return WebhookDelivery.objects.get(event=event)


@pytest.mark.parametrize(("url", "why"), [
    ("http://localhost:8080/hook", "loopback"),
    ("http://127.0.0.2/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://169.254.10.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://224.0.0.251/", "multicast"),
])
def test_a_rule_whose_webhook_resolves_to_a_denied_address_is_refused(admin_client, camera, area, url, why):
    response = admin_client.post(rules_url(camera), {"name": "Hook", "condition": "enter", "zone": area.pk,
                                                     "webhook_url": url}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "invalid" and why in response.json()["errors"]["webhook_url"][0]
    rule = Rule.objects.create(camera=camera, name="Hook", condition="enter", zone=area)
    changed = admin_client.patch(f"{rules_url(camera)}{rule.pk}/", {"webhook_url": url}, format="json")
    assert changed.status_code == 400 and why in changed.json()["errors"]["webhook_url"][0]
    assert Rule.objects.get(pk=rule.pk).webhook_url == ""


def test_a_webhook_must_be_http(admin_client, camera, area):
    response = admin_client.post(rules_url(camera), {"name": "Hook", "condition": "enter", "zone": area.pk,
                                                     "webhook_url": "ftp://192.0.2.7/hook"}, format="json")
    assert response.status_code == 400 and "http://" in response.json()["errors"]["webhook_url"][0]


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1"])
def test_a_delivery_is_checked_again_when_sent_whatever_the_spelling_of_the_address(
        camera, area, receiver, settings, django_capture_on_commit_callbacks, host):
    settings.OUTBOUND_ALLOW = ()
    port = receiver.rsplit(":", 1)[1].split("/")[0]
    delivery = delivery_of(camera, area, f"http://{host}:{port}/hook", django_capture_on_commit_callbacks)
    assert services.deliver(delivery.pk) is True  # refused for good: nothing to retry
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.error.startswith(f"Not sent: {host} (127.0.0.1) is a loopback address")
    assert Receiver.received == []


@pytest.mark.parametrize("where", ["http://127.0.0.2:{port}/elsewhere", "http://127.0.0.1:{port}/elsewhere"])
def test_a_webhook_does_not_follow_redirects(camera, area, receiver, django_capture_on_commit_callbacks, where):
    port = receiver.rsplit(":", 1)[1].split("/")[0]
    Receiver.answers = [(307, "Temporary Redirect", {"Location": where.format(port=port)}, b"")]
    delivery = delivery_of(camera, area, receiver, django_capture_on_commit_callbacks)
    assert services.deliver(delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 307)
    assert "do not follow redirects" in delivery.error
    assert len(Receiver.received) == 1


def test_the_delivery_log_keeps_the_status_but_never_the_receivers_answer(
        admin_client, camera, area, receiver, django_capture_on_commit_callbacks):
    Receiver.answers = [(500, "Oops token-in-reason", {"Content-Type": "text/plain"}, b"token-in-body: secrets")]
    delivery = delivery_of(camera, area, receiver, django_capture_on_commit_callbacks)
    assert services.deliver(delivery.pk) is False
    listed = admin_client.get("/api/v1/webhook-deliveries/")
    [row] = listed.json()["results"]
    assert (row["response_code"], row["error"]) == (500, "The receiver answered 500 Internal Server Error")
    assert "token-in" not in listed.content.decode()
