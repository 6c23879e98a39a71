"""POST /api/v1/cameras/probe/: stream facts, or an error that says which of the failure cases it is."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from tests.standins.rtsp_servers import free_port, silent_tcp_server

pytestmark = [pytest.mark.django_db, pytest.mark.rtsp]


def probe(client, url: str, **credentials):
    return client.post("/api/v1/cameras/probe/", {"url": url, **credentials}, format="json")


def test_it_describes_an_h264_camera_as_browser_playable(admin_client, gst_camera):
    camera = gst_camera(user="viewer", password="pw-1", width=640, height=360)
    response = probe(admin_client, camera.url, username="viewer", password="pw-1")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["codec"], body["width"], body["height"], body["browser_playable"]) == ("h264", 640, 360, True)
    assert body["fps"] == pytest.approx(25, rel=0.2) and body["bitrate"] > 0


def test_an_h265_camera_is_recordable_but_not_browser_playable(admin_client, gst_camera):
    camera = gst_camera(codec="h265", width=640, height=360)
    body = probe(admin_client, camera.url).json()
    assert (body["codec"], body["browser_playable"]) == ("hevc", False)


def test_credentials_in_the_url_are_used(admin_client, gst_camera):
    camera = gst_camera(user="viewer", password="p@ss:word")
    assert probe(admin_client, camera.url_with_credentials).status_code == 200


@pytest.mark.parametrize(("case", "reason"), [("password", "unauthorized"), ("path", "not_found")])
def test_camera_mistakes_are_told_apart(admin_client, gst_camera, case, reason):
    camera = gst_camera(user="viewer", password="right-one")
    if case == "password":
        response = probe(admin_client, camera.url, username="viewer", password="wrong-one")
    else:
        response = probe(admin_client, camera.url.replace("/stream", "/nope"), username="viewer",
                         password="right-one")
    assert response.status_code == 502
    body = response.json()
    assert body["type"] == reason and body["title"] == "Camera error"
    assert f"127.0.0.1:{camera.port}" in body["detail"]
    assert "wrong-one" not in body["detail"] and "right-one" not in body["detail"]


def test_a_closed_port_is_refused(admin_client):
    response = probe(admin_client, f"rtsp://127.0.0.1:{free_port()}/stream")
    assert (response.status_code, response.json()["type"]) == (502, "refused")


def test_a_server_that_never_answers_times_out(admin_client):
    with silent_tcp_server() as port:
        response = probe(admin_client, f"rtsp://127.0.0.1:{port}/stream")
    assert (response.status_code, response.json()["type"]) == (502, "timeout")


def test_a_bad_url_is_a_validation_error(admin_client):
    response = probe(admin_client, "http://127.0.0.1/stream")
    assert response.status_code == 400 and "url" in response.json()["errors"]


def test_probing_a_saved_camera_uses_its_stored_credentials(admin_client, gst_camera):
    live = gst_camera(user="viewer", password="stored-secret")
    created = admin_client.post("/api/v1/cameras/", {"name": "Yard", "main_url": live.url, "username": "viewer",
                                                     "password": "stored-secret"}, format="json").json()
    response = admin_client.post(f"/api/v1/cameras/{created['id']}/probe/")
    assert response.status_code == 200 and response.json()["codec"] == "h264"


def test_onvif_errors_reach_the_admin_in_plain_words(admin_client):
    port = free_port()
    response = admin_client.post("/api/v1/onvif/profiles/", {"host": "127.0.0.1", "port": port,
                                                             "username": "admin", "password": "pw"}, format="json")
    assert (response.status_code, response.json()["type"]) == (502, "refused")
    assert f"port {port}" in response.json()["detail"]


def test_the_probe_shows_a_snapshot_of_the_camera(admin_client, gst_camera):
    camera = gst_camera(width=640, height=360)
    snapshot = probe(admin_client, camera.url).json()["snapshot"]
    assert snapshot.startswith("data:image/jpeg;base64,")
    picture = cv2.imdecode(np.frombuffer(base64.b64decode(snapshot.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (360, 640, 3)
    # The test camera shows a white ball on black; a keyframe decoded slice by slice leaves the rest green.
    blue, green, red = picture[..., 0].astype(int), picture[..., 1].astype(int), picture[..., 2].astype(int)
    assert ((green > 100) & (red < 60) & (blue < 60)).mean() < 0.01, "the whole picture was decoded"
    assert (picture > 200).all(axis=2).any(), "the ball is in the picture"
