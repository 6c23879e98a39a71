"""The outbound policy: which addresses webhooks, cameras and ONVIF may reach, checked on every address a name
resolves to, and the VMS_OUTBOUND_ALLOW setting that opens networks anyway. Nothing here leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devices.onvif import OnvifError, list_profiles
from devices.stream_urls import pinned_stream_url
from vms import outbound
from vms.env import SettingError, env_networks

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.mark.parametrize(("host", "why"), [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("localhost", "loopback"),
    ("2130706433", "loopback"),  # 127.0.0.1 as one decimal number
    ("0x7f.1", "loopback"),  # hexadecimal and a short form
    ("017700000001", "loopback"),  # octal
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("169.254.169.254", "cloud metadata"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
])
def test_webhooks_may_not_reach_this_server_link_local_multicast_or_reserved_addresses(host, why):
    with pytest.raises(outbound.DestinationDenied, match=why) as denied:
        outbound.destination(host, 80, "webhook", ())
    assert "VMS_OUTBOUND_ALLOW" in str(denied.value)


@pytest.mark.parametrize("host", ["10.1.2.3", "172.16.0.9", "192.168.1.20", "fd12:3456::7", "100.64.0.1",
                                  "192.0.2.7"])
def test_webhooks_may_reach_private_and_public_networks(host):
    assert outbound.destination(host, 443, "webhook", ()).addresses == (host,)


@pytest.mark.parametrize("host", ["192.168.1.20", "10.0.0.5", "127.0.0.1", "localhost", "::1"])
def test_cameras_on_private_networks_or_this_server_are_normal(host):
    assert outbound.destination(host, 554, "camera", ()).addresses


@pytest.mark.parametrize(("host", "why"), [
    ("169.254.169.254", "cloud metadata"), ("169.254.7.7", "link-local"), ("fe80::1", "link-local"),
    ("239.255.255.250", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
])
def test_cameras_may_not_be_link_local_multicast_or_unspecified(host, why):
    with pytest.raises(outbound.DestinationDenied, match=f"{why}.*for cameras"):
        outbound.destination(host, 554, "camera", ())


def test_the_allow_list_opens_exactly_the_networks_it_names():
    allow = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("169.254.7.0/24"))
    assert outbound.destination("127.0.0.1", 80, "webhook", allow).addresses == ("127.0.0.1",)
    assert outbound.destination("::ffff:127.0.0.1", 80, "webhook", allow).addresses == ("::ffff:127.0.0.1",)
    assert outbound.destination("169.254.7.9", 80, "camera", allow).addresses == ("169.254.7.9",)
    for host in ("127.0.0.2", "::1", "169.254.169.254"):
        with pytest.raises(outbound.DestinationDenied):
            outbound.destination(host, 80, "webhook", allow)


def test_every_address_of_a_name_is_checked(monkeypatch):
    # A name with one harmless address and one on this server is refused as a whole: a client could use either.
    answers = [(0, 0, 0, "", ("192.0.2.7", 80)), (0, 0, 0, "", ("127.0.0.1", 80))]
    monkeypatch.setattr(outbound.socket, "getaddrinfo", lambda *args, **kwargs: answers)
    with pytest.raises(outbound.DestinationDenied, match=r"hooks.example \(127.0.0.1\) is a loopback"):
        outbound.destination("hooks.example", 80, "webhook", ())


@pytest.mark.parametrize(("url", "address", "expected"), [
    ("rtsp://viewer:pw@cam.local:8554/live?ch=1", "10.0.0.5", "rtsp://viewer:pw@10.0.0.5:8554/live?ch=1"),
    ("rtsp://cam.local/live", "fd00::5", "rtsp://[fd00::5]/live"),
    ("http://[fe80::9]:8080/onvif/media_service", "10.0.0.5", "http://10.0.0.5:8080/onvif/media_service"),
])
def test_a_url_is_pointed_at_the_checked_address(url, address, expected):
    assert outbound.url_at(url, address) == expected


def test_a_camera_is_probed_at_the_address_that_was_checked():
    assert pinned_stream_url("rtsp://viewer:pw@localhost:8554/stream", ()) == "rtsp://viewer:pw@127.0.0.1:8554/stream"
    assert pinned_stream_url("file:///srv/demo.mp4", ()) == "file:///srv/demo.mp4"
    with pytest.raises(outbound.DestinationDenied, match="link-local"):
        pinned_stream_url("rtsp://169.254.3.3/stream", ())


# ---------------------------------------------------------------- VMS_OUTBOUND_ALLOW


def test_the_setting_takes_networks_and_single_addresses(monkeypatch):
    monkeypatch.setenv("VMS_OUTBOUND_ALLOW", "10.0.0.0/8, fd00::/8,192.0.2.7")
    assert env_networks("VMS_OUTBOUND_ALLOW") == (ipaddress.ip_network("10.0.0.0/8"),
                                                  ipaddress.ip_network("fd00::/8"),
                                                  ipaddress.ip_network("192.0.2.7/32"))
    monkeypatch.delenv("VMS_OUTBOUND_ALLOW")
    assert env_networks("VMS_OUTBOUND_ALLOW") == ()


@pytest.mark.parametrize(("value", "wrong"), [
    ("10.0.0.1/8", "'10.0.0.1/8'"),  # host bits set: 10.0.0.0/8 was meant, or 10.0.0.1/32
    ("10.0.0.0/33", "'10.0.0.0/33'"),
    ("cameras.lan", "'cameras.lan'"),
    ("10.0.0.0/8,,fd00::/8", "''"),
    ("10.0.0.0/8 192.168.0.0/16", "'10.0.0.0/8 192.168.0.0/16'"),
])
def test_a_bad_allow_list_is_refused_naming_the_wrong_entry(monkeypatch, value, wrong):
    monkeypatch.setenv("VMS_OUTBOUND_ALLOW", value)
    with pytest.raises(SettingError, match="VMS_OUTBOUND_ALLOW must be networks such as 10.0.0.0/8") as error:
        env_networks("VMS_OUTBOUND_ALLOW")
    assert f"{wrong} is not one" in str(error.value)


def test_the_server_refuses_to_start_with_a_bad_allow_list():
    env = {**os.environ, "VMS_OUTBOUND_ALLOW": "127.0.0.1/8"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "VMS_OUTBOUND_ALLOW must be networks such as 10.0.0.0/8" in result.stderr
    assert "'127.0.0.1/8' is not one (127.0.0.1/8 has host bits set)" in result.stderr


# ---------------------------------------------------------------- sending a webhook


class Redirecting(BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        Redirecting.paths.append(self.path)
        self.send_response(308)
        self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/followed")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def redirecting_server():
    server = HTTPServer(("127.0.0.1", 0), Redirecting)
    Redirecting.paths = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


def test_a_webhook_post_returns_a_redirect_instead_of_following_it(redirecting_server):
    url = f"http://127.0.0.1:{redirecting_server}/hook?x=1"
    assert outbound.post(url, b"{}", {"Content-Type": "application/json"}, 5, LOOPBACK_ONLY) == 308
    assert Redirecting.paths == ["/hook?x=1"]


def test_a_webhook_post_to_a_denied_address_never_connects(redirecting_server):
    with pytest.raises(outbound.DestinationDenied):
        outbound.post(f"http://2130706433:{redirecting_server}/hook", b"{}", {}, 5, ())
    with pytest.raises(ValueError, match="http:// or https://"):
        outbound.post(f"ftp://127.0.0.1:{redirecting_server}/hook", b"{}", {}, 5, LOOPBACK_ONLY)
    assert Redirecting.paths == []


def test_an_https_webhook_is_verified_against_the_urls_host_name_though_sent_to_the_checked_address(
        tmp_path, monkeypatch):
    Redirecting.paths = []
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))  # the client trusts this certificate only
    server = HTTPServer(("127.0.0.1", 0), Redirecting)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_port
        assert outbound.post(f"https://localhost:{port}/tls", b"{}", {}, 5, LOOPBACK_ONLY) == 308
        with pytest.raises(ssl.SSLCertVerificationError, match="127.0.0.1"):
            outbound.post(f"https://127.0.0.1:{port}/tls", b"{}", {}, 5, LOOPBACK_ONLY)
    finally:
        server.shutdown()
    assert Redirecting.paths == ["/tls"]


# ---------------------------------------------------------------- ONVIF and the stream probe
# Denied hosts below are ones a connection could not leave this machine for, should the check be missing.


@pytest.mark.parametrize("host", ["fe80::1", "239.255.255.250", "ff02::1", "0.0.0.0", "::"])
def test_onvif_refuses_denied_hosts_before_connecting(host):
    with pytest.raises(OnvifError) as error:
        asyncio.run(list_profiles(host, 80, "admin", "pw", timeout=5))
    assert error.value.reason == "denied" and "for cameras" in error.value.message


@pytest.mark.django_db
def test_the_onvif_api_answers_a_denied_host_with_a_400(admin_client):
    response = admin_client.post("/api/v1/onvif/profiles/", {"host": "fe80::1", "port": 80,
                                                             "username": "admin", "password": "pw"}, format="json")
    assert response.status_code == 400
    assert "fe80::1 is a link-local address" in response.json()["errors"]["host"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "why"), [("rtsp://[fe80::1]/stream", "link-local"),
                                          ("rtsp://[ff02::1]:554/stream", "multicast"),
                                          ("rtsp://0.0.0.0:8554/stream", "unspecified")])
def test_the_probe_api_answers_a_denied_host_with_a_400(admin_client, url, why):
    response = admin_client.post("/api/v1/cameras/probe/", {"url": url}, format="json")
    assert response.status_code == 400
    assert why in response.json()["errors"]["url"][0]


@pytest.mark.django_db
def test_probing_a_saved_camera_at_a_denied_address_is_a_400(admin_client, camera):
    camera.main_url = "rtsp://239.1.2.3/stream"
    camera.save()
    response = admin_client.post(f"/api/v1/cameras/{camera.pk}/probe/")
    assert response.status_code == 400 and "multicast" in response.json()["errors"]["main_url"][0]


@pytest.mark.django_db
def test_a_camera_at_a_denied_address_is_not_saved(admin_client):
    response = admin_client.post("/api/v1/cameras/", {"name": "Gate", "main_url": "rtsp://[fe80::1]/main",
                                                      "sub_url": "rtsp://239.0.0.9/sub"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "link-local" in errors["main_url"][0] and "multicast" in errors["sub_url"][0]


def test_a_host_name_the_resolver_cannot_take_is_one_that_does_not_resolve():
    with pytest.raises(OSError, match="not a valid host name"):
        outbound.destination("a..b", 80, "camera", ())
    with pytest.raises(OnvifError) as error:
        asyncio.run(list_profiles("a..b", 80, "admin", "pw", timeout=5))
    assert error.value.reason == "unreachable"
