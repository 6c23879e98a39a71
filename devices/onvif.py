"""ONVIF for "add a camera": find cameras on the LAN (WS-Discovery) and read their stream profiles.

Pure of Django, so views, tasks and tests can all call it. Failures an admin can cause or fix
come out as `OnvifError` with a machine-readable reason and a message in plain words.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError

from video.source import split_credentials
from vms import outbound

OnvifErrorReason = Literal["unreachable", "refused", "unauthorized", "timeout", "not_onvif", "denied",
                           "no_relay_output", "no_ptz", "no_preset", "ptz_refused"]

WS_DISCOVERY_GROUP = ("239.255.255.250", 3702)

# Fault codes and subcodes that mean "bad credentials": ONVIF's ter:NotAuthorized and the
# WS-Security ones. Compared by local name because cameras use all sorts of prefixes.
_AUTH_FAULT_NAMES = {"notauthorized", "failedauthentication", "invalidsecurity", "invalidsecuritytoken"}
# Some cameras (and ipycam) put the reason only in the fault text, with a generic code.
_AUTH_FAULT_WORDS = ("authoriz", "authentic", "password")

_PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<s:Header>
<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>
<a:MessageID>urn:uuid:{message_id}</a:MessageID>
<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
</s:Header>
<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>
</s:Envelope>"""

_NAME_SCOPE = "onvif://www.onvif.org/name/"
_HARDWARE_SCOPE = "onvif://www.onvif.org/hardware/"


class OnvifError(Exception):
    """An ONVIF request failed for a reason the admin can act on."""

    def __init__(self, reason: OnvifErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class OnvifProfile:
    """One media profile: a stream the camera offers."""

    token: str
    name: str
    encoding: str  # "H264", "H265", "JPEG" or whatever else the camera names
    width: int
    height: int
    fps: int | None
    bitrate_kbps: int | None
    stream_uri: str  # RTSP, never with credentials in it
    snapshot_uri: str | None
    ptz: bool = False  # PTZ commands may name this profile


@dataclass(frozen=True)
class OnvifDevice:
    """What a camera says about itself, with its video profiles largest first."""

    manufacturer: str
    model: str
    firmware: str
    serial: str
    profiles: list[OnvifProfile]


@dataclass(frozen=True)
class DiscoveredDevice:
    """A camera that answered a WS-Discovery probe."""

    host: str
    port: int
    xaddrs: list[str]
    scopes: list[str]
    name: str | None
    hardware: str | None


async def list_profiles(
    host: str, port: int, username: str, password: str, timeout: float = 10,
    allow: Sequence[outbound.Network] = (),
) -> OnvifDevice:
    """Log in to the camera's ONVIF service and list its video profiles with their RTSP URIs.

    Raises OnvifError when the camera cannot be reached, refuses, rejects the login, is too
    slow (the whole exchange must finish within `timeout` seconds), is not an ONVIF camera, or
    is at an address the outbound policy denies (`allow`: networks allowed anyway).
    """
    try:
        async with asyncio.timeout(timeout), session(host, port, username, password, allow, timeout) as camera:
            return await _read_device(camera, f"{host}:{port}")
    except TimeoutError as exc:
        raise explain(exc, host, port, timeout) from exc


# What the ONVIF client raises when the camera cannot be reached, refuses, or answers wrongly.
ONVIF_ERRORS = (TimeoutError, aiohttp.ClientError, zeep.exceptions.Error, ONVIFError)


@contextlib.asynccontextmanager
async def session(host: str, port: int, username: str, password: str, allow: Sequence[outbound.Network] = (),
                  timeout: float = 10) -> AsyncIterator[ONVIFCamera]:
    """An ONVIF client of the camera, at the address the outbound policy checked (`allow`: networks allowed
    anyway), closed afterwards. The client's errors within it come out as OnvifError (`timeout` is named in
    the words of a timeout)."""
    camera = None
    try:
        target = await asyncio.to_thread(outbound.destination, host, port, "camera", allow)
        # The checked address, not the name: a second lookup could answer with another address.
        # adjust_time: many cameras' clocks are wrong, and WS-Security rejects a login whose
        # timestamp is far from the camera's, which would look like a wrong password.
        # no_cache: the WSDLs ship with the package, so a cache only writes a file for nothing.
        camera = ONVIFCamera(target.addresses[0], port, username, password, no_cache=True, adjust_time=True)
        yield camera
    except outbound.DestinationDenied as exc:
        raise OnvifError("denied", str(exc)) from exc
    except socket.gaierror as exc:
        raise OnvifError(
            "unreachable", f"No host called {host} could be found. Check the name or use an IP address."
        ) from exc
    except ONVIF_ERRORS as exc:
        raise explain(exc, host, port, timeout) from exc
    finally:
        if camera is not None:
            await camera.close()


async def find_services(camera: ONVIFCamera) -> None:
    """Learn where the camera's services are. A device names their addresses itself; they are talked to at the
    address that was checked, on the port the device names, so a device cannot send the server anywhere else."""
    await camera.update_xaddrs()
    camera.xaddrs = {
        namespace: outbound.url_at(xaddr, camera.host) for namespace, xaddr in camera.xaddrs.items() if xaddr
    }


async def _read_device(camera: ONVIFCamera, where: str) -> OnvifDevice:
    await find_services(camera)
    devicemgmt = await camera.create_devicemgmt_service()
    info = await devicemgmt.GetDeviceInformation()
    media = await camera.create_media_service()
    profiles = []
    for profile in await media.GetProfiles():
        encoder = profile.VideoEncoderConfiguration
        # Audio-only and metadata profiles have no picture to record.
        if encoder is None or encoder.Resolution is None:
            continue
        answer = await media.GetStreamUri(
            {
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                "ProfileToken": profile.token,
            }
        )
        # The library returns None (and logs) when a camera has no snapshots.
        snapshot = await camera.get_snapshot_uri(profile.token)
        rate = encoder.RateControl
        profiles.append(
            OnvifProfile(
                token=profile.token,
                name=profile.Name or profile.token,
                encoding=_encoding_name(encoder.Encoding),
                width=encoder.Resolution.Width,
                height=encoder.Resolution.Height,
                fps=rate.FrameRateLimit if rate is not None else None,
                bitrate_kbps=rate.BitrateLimit if rate is not None else None,
                stream_uri=split_credentials(answer.Uri)[0],
                snapshot_uri=split_credentials(snapshot)[0] if snapshot else None,
                ptz=profile.PTZConfiguration is not None,
            )
        )
    if not profiles:
        raise OnvifError("not_onvif", f"The ONVIF service at {where} offers no video streams.")
    profiles.sort(key=lambda p: p.width * p.height, reverse=True)
    return OnvifDevice(
        manufacturer=info.Manufacturer or "",
        model=info.Model or "",
        firmware=info.FirmwareVersion or "",
        serial=info.SerialNumber or "",
        profiles=profiles,
    )


def suggest_streams(device: OnvifDevice) -> tuple[str, str | None]:
    """Pick (main stream URI, sub-stream URI or None) from a device's profiles.

    Main is the largest H.264/H.265 profile. Sub is an H.264 profile smaller than main,
    because browsers cannot play H.265 and analytics decode the sub-stream: the largest
    one up to 720 lines, else the smallest one.
    """
    video = [p for p in device.profiles if p.encoding in ("H264", "H265")] or device.profiles
    main = video[0]
    smaller = [
        p
        for p in device.profiles
        if p.encoding == "H264"
        and p.width * p.height < main.width * main.height
        and p.stream_uri != main.stream_uri
    ]
    if not smaller:
        return main.stream_uri, None
    up_to_720 = [p for p in smaller if p.height <= 720]
    sub = up_to_720[0] if up_to_720 else smaller[-1]
    return main.stream_uri, sub.stream_uri


def discover(timeout: float = 3.0) -> list[DiscoveredDevice]:
    """Multicast a WS-Discovery probe for ONVIF cameras and collect answers for `timeout` seconds.

    Blocking: call it from a thread or a sync view. The probe goes out on every interface,
    because cameras often sit on their own NIC or VLAN rather than behind the default route.
    """
    message_id = uuid.uuid4()
    probe = _PROBE.format(message_id=message_id).encode()
    found: dict[str, DiscoveredDevice] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind(("", 0))
        # SOAP-over-UDP repeats multicasts because datagrams get lost; cameras drop the
        # duplicate by its MessageID.
        for _ in range(2):
            _send_on_every_interface(sock, probe)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                data, _ = sock.recvfrom(65535)
            except TimeoutError:
                break
            for key, device in _parse_probe_matches(data):
                found.setdefault(key, device)
    return sorted(found.values(), key=lambda d: (d.host, d.port))


def _send_on_every_interface(sock: socket.socket, probe: bytes) -> None:
    group = socket.inet_aton(WS_DISCOVERY_GROUP[0])
    any_address = socket.inet_aton("0.0.0.0")
    for index, _name in socket.if_nameindex():
        try:
            # struct ip_mreqn: choose the outgoing interface by index, not by address.
            sock.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", group, any_address, index)
            )
            sock.sendto(probe, WS_DISCOVERY_GROUP)
        except OSError:
            # Interfaces that are down or cannot multicast are normal (VPNs, spare NICs).
            continue


def _parse_probe_matches(data: bytes) -> list[tuple[str, DiscoveredDevice]]:
    """Return (endpoint id, device) for each ProbeMatch in a datagram; junk gives []."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return []
    matches = []
    # Found by local name anywhere in the message: some cameras (ipycam among them) leave
    # out the ProbeMatches wrapper or use other prefixes.
    for match in (e for e in root.iter() if _local_name(e.tag) == "ProbeMatch"):
        xaddrs = [x for x in _text(match, "XAddrs").split() if urlsplit(x).scheme in ("http", "https")]
        if not xaddrs:
            continue
        scopes = _text(match, "Scopes").split()
        # Prefer an IPv4 address: IPv6 link-local XAddrs need a zone the client cannot guess.
        xaddr = next((x for x in xaddrs if ":" not in (urlsplit(x).hostname or ":")), xaddrs[0])
        parts = urlsplit(xaddr)
        device = DiscoveredDevice(
            host=parts.hostname or "",
            port=parts.port or (443 if parts.scheme == "https" else 80),
            xaddrs=xaddrs,
            scopes=scopes,
            name=_scope_value(scopes, _NAME_SCOPE),
            hardware=_scope_value(scopes, _HARDWARE_SCOPE),
        )
        matches.append((_text(match, "Address") or xaddr, device))
    return matches


def _text(element: ElementTree.Element, local_name: str) -> str:
    for child in element.iter():
        if _local_name(child.tag) == local_name:
            return (child.text or "").strip()
    return ""


def _scope_value(scopes: list[str], prefix: str) -> str | None:
    for scope in scopes:
        if scope.lower().startswith(prefix):
            return unquote(scope[len(prefix) :])
    return None


def _local_name(name: object) -> str:
    """`{ns}Name`, `prefix:Name` and QName objects all become `Name`."""
    return str(name).rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _encoding_name(encoding: object) -> str:
    name = str(encoding).upper()
    # Media1 has no H.265 in its enum; cameras that report it anyway use either spelling.
    return "H265" if name in ("H265", "HEVC") else name


def fault_names(fault: zeep.exceptions.Fault) -> set[str]:
    """The local names of a fault's code and subcodes, lower case (`ter:InvalidArgVal` -> `invalidargval`)."""
    return {_local_name(code).lower() for code in [fault.code, *(fault.subcodes or [])] if code}


def _is_auth_fault(fault: zeep.exceptions.Fault) -> bool:
    names = fault_names(fault)
    text = (fault.message or "").lower()
    return bool(names & _AUTH_FAULT_NAMES) or any(word in text for word in _AUTH_FAULT_WORDS)


def explain(exc: BaseException, host: str, port: int, timeout: float) -> OnvifError:
    """Turn a library exception into the reason and words an admin can act on."""
    where = f"{host}:{port}"
    if isinstance(exc, TimeoutError):
        return OnvifError(
            "timeout",
            f"The camera at {where} did not answer within {timeout:g} seconds. "
            "Check the address and that the camera is on and not overloaded.",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        if exc.os_error.errno == errno.ECONNREFUSED:
            return OnvifError(
                "refused",
                f"{host} refused the connection on port {port}: nothing listens there. "
                "Check the ONVIF port (often 80, 8000 or 8080) and that ONVIF is enabled on the camera.",
            )
        return OnvifError(
            "unreachable",
            f"Cannot reach {host} from this server ({exc.os_error.strerror or exc.os_error}). "
            "Check the address, the network and any firewall in between.",
        )
    if isinstance(exc, zeep.exceptions.Fault) and _is_auth_fault(exc):
        return _wrong_password(where)
    if isinstance(exc, zeep.exceptions.TransportError) and exc.status_code in (401, 403):
        return _wrong_password(where)
    # zeep raises a Fault without a code when the answer held no SOAP fault at all (an HTML
    # error page, say); only a real fault has text worth showing.
    if isinstance(exc, zeep.exceptions.Fault) and exc.code:
        detail = f"it answered with the error {exc.message!r}"
    elif isinstance(exc, zeep.exceptions.TransportError):
        detail = f"it answered with HTTP status {exc.status_code}"
    else:
        detail = "its answer was not an ONVIF one"
    return OnvifError(
        "not_onvif",
        f"The device at {where} does not work as an ONVIF camera: {detail}. "
        "Check that this is the ONVIF port and that ONVIF is enabled on the camera.",
    )


def _wrong_password(where: str) -> OnvifError:
    return OnvifError(
        "unauthorized",
        f"Wrong username or password for the ONVIF service at {where}. "
        "Many cameras keep ONVIF users apart from their web login.",
    )
