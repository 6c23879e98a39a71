"""Where the server may connect on its users' behalf (webhooks, cameras, ONVIF), and connecting only there.

A host name is resolved once, every address it resolves to is checked, and the caller connects to a checked
address, never to the name again: a DNS answer that changes between the check and the connection (DNS
rebinding) cannot send the server elsewhere. VMS_OUTBOUND_ALLOW lists networks that are allowed anyway.
Pure of Django: callers pass the allowed networks (settings.OUTBOUND_ALLOW).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

Purpose = Literal["webhook", "camera"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
# Cloud metadata services hand out the machine's credentials: 169.254.169.254 (AWS, GCP, Azure, ...),
# AWS's IPv6 one and Alibaba's, which sit outside link-local ranges.
_CLOUD_METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}
HTTP_PORTS = {"http": 80, "https": 443}
_BOTH = frozenset({"webhook", "camera"})

# Why an address is refused, and for what. Cameras and their ONVIF services on private networks, and on this
# server itself (a local RTSP relay), are normal; a webhook has no business on this server or its neighbours.
_REFUSED: tuple[tuple[Callable[[Address], bool], str, frozenset[str]], ...] = (
    (lambda ip: ip in _CLOUD_METADATA, "a cloud metadata service's address", _BOTH),
    (lambda ip: ip.is_unspecified or ip in _THIS_NETWORK, "an unspecified address", _BOTH),
    (lambda ip: ip.is_loopback, "a loopback address (this server itself)", frozenset({"webhook"})),
    (lambda ip: ip.is_link_local, "a link-local address", _BOTH),
    (lambda ip: ip.is_multicast, "a multicast address", _BOTH),
    (lambda ip: ip.is_reserved, "a reserved address", frozenset({"webhook"})),
)


class DestinationDenied(Exception):
    """The server may not connect to this host. str() is a sentence for the admin."""

    def __init__(self, host: str, address: str, why: str, purpose: Purpose) -> None:
        named = address if host == address else f"{host} ({address})"
        super().__init__(f"{named} is {why}; the server does not connect there for {purpose}s. "
                         "An administrator can allow it with VMS_OUTBOUND_ALLOW.")


@dataclass(frozen=True)
class Destination:
    """A host and port whose addresses were all checked; connect to `addresses`, never to `host` again."""

    host: str
    port: int
    addresses: tuple[str, ...]


def refusal(address: str, purpose: Purpose, allow: Sequence[Network]) -> str | None:
    """Why the server may not connect to `address` for `purpose`, or None when it may."""
    ip = ipaddress.ip_address(address)
    # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address inside.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allow):
        return None
    for refused, why, purposes in _REFUSED:
        if purpose in purposes and refused(ip):
            return why
    return None


def destination(host: str, port: int, purpose: Purpose, allow: Sequence[Network]) -> Destination:
    """Resolve `host` and check every address it has. DestinationDenied names the first refused one;
    socket.gaierror (an OSError) when the name does not resolve. Any spelling the resolver takes
    (2130706433, 0x7f.1, [::ffff:127.0.0.1]) is judged by the address it means."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:
        # A label too long or empty ("a..b") fails IDNA encoding: to callers, a name that does not resolve.
        raise socket.gaierror(socket.EAI_NONAME, "not a valid host name") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        why = refusal(address, purpose, allow)
        if why is not None:
            raise DestinationDenied(host, address, why, purpose)
    return Destination(host, port, addresses)


def url_at(url: str, address: str) -> str:
    """`url` with its host replaced by `address` (user, port, path and query kept), to connect to what was checked."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    # The port as written (not parts.port, which raises on a malformed one: the connection will tell).
    port = hostport.rpartition("]")[2] if hostport.startswith("[") else hostport[len(hostport.partition(":")[0]):]
    host = f"[{address}]" if ":" in address else address
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}{port}"))


def http_destination(url: str, purpose: Purpose, allow: Sequence[Network]) -> Destination:
    """The checked destination of an http(s) URL; ValueError when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in HTTP_PORTS or not parts.hostname:
        raise ValueError("the URL must start with http:// or https:// and name a host")
    return destination(parts.hostname, parts.port or HTTP_PORTS[parts.scheme], purpose, allow)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, allow: Sequence[Network]) -> int:
    """POST `body` to a webhook URL at a checked address and return the HTTP status; the answer's body is
    never read. Redirects are not followed: they would lead to an address nobody checked.
    Raises DestinationDenied, ValueError (not an http(s) URL) or OSError (unreachable, TLS failure)."""
    parts = urlsplit(url)
    target = http_destination(url, "webhook", allow)
    sock = _connect(target, timeout)
    if parts.scheme == "https":
        # The certificate is checked against the URL's host name, not the address connected to.
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(target.host, target.port,
                                                                              timeout=timeout)
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # A connection with a socket already open uses it: Host header and TLS name come from the URL,
    # the bytes go to the checked address.
    connection.sock = sock
    try:
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    except http.client.HTTPException as exc:
        raise OSError(f"the receiver's answer was not HTTP ({type(exc).__name__})") from exc
    finally:
        connection.close()


def _connect(target: Destination, timeout: float) -> socket.socket:
    for address in target.addresses[:-1]:
        try:
            return socket.create_connection((address, target.port), timeout)
        except OSError:
            continue  # the host's next address may answer
    return socket.create_connection((target.addresses[-1], target.port), timeout)
