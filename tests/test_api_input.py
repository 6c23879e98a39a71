"""Invalid input is a 400 problem document, never ignored and never a 500, and every API error is a problem
document: the cases API fuzzing found (tests/test_api_fuzz.py), and the schema documenting them."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    "/api/v1/cameras/?enabled=-2.2e-313",  # a boolean is true or false, not "anything else means no filter"
    "/api/v1/cameras/?status=",  # an empty choice
    "/api/v1/audit/?limit=-2.2e-311",
    "/api/v1/audit/?limit=0",
    "/api/v1/audit/?limit=1001",
    "/api/v1/audit/?offset=-1",
    "/api/v1/audit/?offset=99999999999999999999",  # beyond PostgreSQL's bigint
    "/api/v1/audit/?camera=1e30",
    "/api/v1/audit/?camera=1.5",
    "/api/v1/audit/?end=",  # an empty time
    "/api/v1/audit/?ip=null",  # PostgreSQL compares an inet column with addresses only
    "/api/v1/events/?start=",
    "/api/v1/events/?start=9999-12-31T23:59:59-23:59",  # after the last instant in UTC
    "/api/v1/audit/?end=0001-01-01T00:00:00%2B23:59",
    "/api/v1/events/?end=4366-01-24T11:32:18-22:41",  # PostgreSQL takes offsets up to 15:59
    "/api/v1/alarms/?severity=",
    "/api/v1/webhook-deliveries/?event=",  # an empty id
    "/api/v1/webhook-deliveries/?event=99999999999999999999",
])
def test_invalid_filters_and_pages_are_refused(admin_client, query):
    response = admin_client.get(query)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["title"] == "Invalid request" and problem["errors"]


def test_valid_filters_and_pages_still_work(admin_client, camera):
    assert admin_client.get("/api/v1/cameras/?enabled=true&limit=1000&offset=0").json()["count"] == 1
    assert admin_client.get("/api/v1/cameras/?enabled=false").json()["count"] == 0
    assert admin_client.get(f"/api/v1/audit/?camera={camera.pk}&limit=1&ip=::1").status_code == 200


def test_a_method_a_route_lacks_is_a_405_for_anyone(admin_client, client):
    for http in (admin_client, client):
        response = http.generic("TRACE", "/api/v1/audit/1/")
        assert response.status_code == 405
        assert response["Content-Type"] == "application/problem+json"
        assert "GET" in response["Allow"] and "TRACE" not in response["Allow"]
    assert client.put("/api/v1/cameras/").status_code == 405


@pytest.mark.parametrize("path", ["/api/v1/cameras/abc/zones/", "/api/v1/nothing-here/",
                                  "/api/v1/cameras/99999999999999999999/"])
def test_any_404_under_the_api_is_a_problem_document(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_preferences_need_a_json_object(admin_client):
    assert admin_client.put("/api/v1/auth/me/preferences/").status_code == 400
    assert admin_client.put("/api/v1/auth/me/preferences/", {"grid\u0000": 4}, format="json").status_code == 400
    form = admin_client.put("/api/v1/auth/me/preferences/", "grid=4", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415


def test_the_schema_documents_the_problem_documents(tmp_path):
    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "schema.json"))
    schema = json.loads((tmp_path / "schema.json").read_text())
    problem = {"$ref": "#/components/schemas/Problem"}
    zones = schema["paths"]["/api/v1/cameras/{camera_id}/zones/{id}/"]
    assert {"400", "401", "403", "404", "415"} <= set(zones["patch"]["responses"])
    assert zones["patch"]["responses"]["404"]["content"]["application/problem+json"]["schema"] == problem
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/alarms/{id}/acknowledge/"]["post"]["responses"]
    assert "400" not in schema["paths"]["/api/v1/auth/me/"]["get"]["responses"]


@pytest.mark.parametrize("entry", [{"user": "fuzz\u0000er"}, {"group": "Operator\u0000"}, {"user": {"\u0000": 1}}])
def test_a_nul_character_anywhere_in_a_body_is_refused_before_it_reaches_the_database(admin_client, camera, entry):
    """PostgreSQL holds no NUL in text: a username with one, looked up for an access entry, was a 500 (the fuzzer's
    seed 964701952)."""
    body = json.dumps({"camera": camera.pk, **entry})
    response = admin_client.post("/api/v1/camera-access/", body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("username", ["Jürgen-nobody", "\udaff-nobody"])  # non-ASCII, and half a surrogate pair
def test_a_problem_quoting_what_was_sent_reads_the_same_in_any_charset(admin_client, camera, username):
    """application/problem+json names no charset, so a client guesses one (the fuzzer's guessed wrong and read
    garbage): the document is ASCII, any other character escaped."""
    body = json.dumps({"camera": camera.pk, "user": username})
    response = admin_client.post("/api/v1/camera-access/", body, content_type="application/json")
    assert response.status_code == 400
    response.content.decode("ascii")
    assert response.json()["errors"]["user"]
