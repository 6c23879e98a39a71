"""A stand-in ONVIF camera with the event service and PullPoint subscriptions, served on 127.0.0.1 only.

Written from the ONVIF WSDLs shipped in onvif-zeep-async 4.3.0 (onvif/wsdl: devicemgmt.wsdl, events.wsdl, b-2.xsd,
r-2.xsd, onvif.xsd); no third-party device stand-in has an event service (ipycam, our ONVIF camera stand-in, has
none). It answers, in SOAP 1.2, what onvif-zeep-async's `ONVIFCamera` and `PullPointManager` send:

- the device service, /onvif/device_service: GetSystemDateAndTime (without authentication, as on real cameras),
  GetServices, GetCapabilities, GetServiceCapabilities and GetDeviceInformation;
- the event service, /onvif/event_service: GetServiceCapabilities, GetEventProperties, CreatePullPointSubscription;
- each subscription, /onvif/subscription/<n>: PullMessages, SetSynchronizationPoint, Renew and Unsubscribe.

A request is dispatched on the qualified name of the first element of its body. All but GetSystemDateAndTime need a
WS-Security UsernameToken with the PasswordDigest of `password`, else they get a `ter:NotAuthorized` fault.
Sender faults are HTTP 400 and receiver faults HTTP 500, as the SOAP 1.2 HTTP binding says.

The camera's clock is ours plus `clock_offset` seconds, in all it reports and in the absolute times it is sent.
A subscription lives until its termination time (60 s when not asked for one); only Renew moves it, unless
`pulls_keep_alive` is set. Events published with PropertyOperation Changed or Initialized are remembered per topic,
source and key, and a new subscription and SetSynchronizationPoint get them all again as Initialized.

    with OnvifEventCamera() as camera:
        device = ONVIFCamera(camera.host, camera.port, camera.username, camera.password, adjust_time=True)
        ...
        camera.publish("tns1:VideoSource/MotionAlarm", {"Source": "VideoSourceToken"}, {"State": "true"})
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TT = "http://www.onvif.org/ver10/schema"
TNS1 = "http://www.onvif.org/ver10/topics"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

# Declared on every envelope, so message contents, topics and fault subcodes may use these prefixes.
PREFIXES = {
    "s": SOAP,
    "wsa": WSA,
    "wsnt": WSNT,
    "wsntw": "http://docs.oasis-open.org/wsn/bw-2",
    "wstop": "http://docs.oasis-open.org/wsn/t-1",
    "wsrf-bf": "http://docs.oasis-open.org/wsrf/bf-2",
    "wsrf-r": "http://docs.oasis-open.org/wsrf/r-2",
    "wsrf-rw": "http://docs.oasis-open.org/wsrf/rw-2",
    "tds": TDS,
    "tev": TEV,
    "tt": TT,
    "tns1": TNS1,
    "ter": "http://www.onvif.org/ver10/error",
    "xs": "http://www.w3.org/2001/XMLSchema",
}
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"
DEFAULT_TERMINATION = timedelta(seconds=60)
PROPERTY_OPERATIONS = ("Changed", "Initialized")
MOTION_ALARM = "tns1:VideoSource/MotionAlarm"
MANUFACTURER = "VMS tests"
MODEL = "OnvifEventCamera"
FIRMWARE_VERSION = "1.0"
WITHOUT_AUTHENTICATION = {f"{{{TDS}}}GetSystemDateAndTime"}

_ENVELOPE_DECLARATIONS = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in PREFIXES.items())
_SUBSCRIPTION_PATH = re.compile(r"/onvif/subscription/(\d+)")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?")
_TOPIC_SET_TOPIC = re.compile(r"tns1:[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*")
_DEVICE_CAPABILITIES = (
    '<tds:Capabilities><tds:Network/><tds:Security UsernameToken="true"/><tds:System/></tds:Capabilities>'
)
_EVENT_CAPABILITIES = (
    '<tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true"'
    ' WSPausableSubscriptionManagerInterfaceSupport="false" PersistentNotificationStorage="false"/>'
)

Items = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TopicDescription:
    """What GetEventProperties tells of a topic: whether it is a property, and its items' names and XML types."""

    is_property: bool
    source: Items
    data: Items
    key: Items = ()


_TOKEN = "tt:ReferenceToken"
_RULE = (("VideoSourceConfigurationToken", _TOKEN), ("VideoAnalyticsConfigurationToken", _TOKEN), ("Rule", "xs:string"))
_OBJECT = (("ObjectId", "xs:integer"),)
KNOWN_TOPICS = {
    MOTION_ALARM: TopicDescription(True, (("Source", _TOKEN),), (("State", "xs:boolean"),)),
    "tns1:VideoSource/GlobalSceneChange/ImagingService": TopicDescription(
        True, (("Source", _TOKEN),), (("State", "xs:boolean"),)
    ),
    "tns1:RuleEngine/CellMotionDetector/Motion": TopicDescription(True, _RULE, (("IsMotion", "xs:boolean"),)),
    "tns1:Device/Trigger/DigitalInput": TopicDescription(
        True, (("InputToken", _TOKEN),), (("LogicalState", "xs:boolean"),)
    ),
    "tns1:RuleEngine/LineDetector/Crossed": TopicDescription(False, _RULE, _OBJECT),
    "tns1:RuleEngine/FieldDetector/ObjectsInside": TopicDescription(
        True, _RULE, (("IsInside", "xs:boolean"),), _OBJECT
    ),
    "tns1:RuleEngine/LoiteringDetector/ObjectIsLoitering": TopicDescription(
        True, _RULE, (("IsLoitering", "xs:boolean"),), _OBJECT
    ),
}


class _Fault(Exception):
    """A SOAP 1.2 fault to answer with: the code, its chain of subcodes (prefixed QNames) and a reason."""

    def __init__(self, reason: str, subcodes: tuple[str, ...], *, receiver: bool = False, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.subcodes = subcodes
        self.receiver = receiver
        self.detail = detail

    @property
    def status(self) -> int:
        return 500 if self.receiver else 400

    def xml(self) -> str:
        subcodes = ""
        for subcode in reversed(self.subcodes):
            subcodes = f"<s:Subcode><s:Value>{subcode}</s:Value>{subcodes}</s:Subcode>"
        code = "s:Receiver" if self.receiver else "s:Sender"
        detail = f"<s:Detail>{self.detail}</s:Detail>" if self.detail else ""
        return (
            f"<s:Fault><s:Code><s:Value>{code}</s:Value>{subcodes}</s:Code>"
            f'<s:Reason><s:Text xml:lang="en">{escape(self.reason)}</s:Text></s:Reason>{detail}</s:Fault>'
        )


class _Dropped(Exception):
    """The camera restarted or went offline while answering: the connection is closed without an answer."""


@dataclass
class _Request:
    path: str
    operation: str  # the body's first element, as {namespace}name
    element: ElementTree.Element
    header: ElementTree.Element | None
    epoch: int

    def reply_header(self, *, fault: bool) -> str:
        """WS-Addressing headers for the answer, when the request had them."""
        action = self.header.findtext(f"{{{WSA}}}Action") if self.header is not None else None
        if not action:
            return ""
        reply_action = FAULT_ACTION if fault else action.strip().removesuffix("Request") + "Response"
        message_id = self.header.findtext(f"{{{WSA}}}MessageID") if self.header is not None else None
        relates_to = f"<wsa:RelatesTo>{escape(message_id.strip())}</wsa:RelatesTo>" if message_id else ""
        return f"<s:Header><wsa:Action>{escape(reply_action)}</wsa:Action>{relates_to}</s:Header>"


@dataclass
class _Subscription:
    number: int
    expires: datetime  # on our clock
    keepalive: timedelta | None  # its relative termination time; None when it was given an absolute one
    queue: deque[str] = field(default_factory=deque)  # wsnt:NotificationMessage elements


@dataclass
class _Property:
    topic: str
    source: Mapping[str, str]
    key: Mapping[str, str]
    data: Mapping[str, str]


class OnvifEventCamera:
    """An ONVIF camera on 127.0.0.1 with an event service; see the module docstring.

    `stop()` then `start()` is the camera going off the network and coming back on the same port: connections are
    refused in between, and its subscriptions go on (and expire) as on a camera behind a broken link.
    `restart()` is a reboot: subscriptions and their queued messages are forgotten, open connections are dropped,
    and the old subscription addresses answer ResourceUnknownFault (new subscriptions get new numbers).
    """

    host = "127.0.0.1"

    def __init__(self, username: str = "admin", password: str = "secret") -> None:
        self.username = username
        self.password = password
        self.port = 0  # a free one is picked by the first start(), and kept
        self.serial_number = "EVT-0001"
        self.clock_offset = 0.0  # seconds the camera's clock is ahead of ours
        # The host the camera names in its services' and subscriptions' addresses (None: its own): a camera
        # behind NAT, or one that would send its clients elsewhere.
        self.advertised_host: str | None = None
        self.fail_renewals = False  # every Renew gets an UnacceptableTerminationTimeFault
        self.pulls_keep_alive = False  # each PullMessages moves a relative termination time, as ONVIF core asks
        self.subscriptions_created = 0
        # Relay outputs (Device Management): token -> "active" or "inactive", and every switch as
        # (our time, token, state).
        self.relays: dict[str, str] = {"AlarmOut_0": "inactive", "AlarmOut_1": "inactive"}
        self.switches: list[tuple[datetime, str, str]] = []
        self.renewals = 0  # Renew requests, answered with a fault or not
        self.pulls = 0  # PullMessages requests, answered with a fault or not
        self._lock = threading.Condition()
        self._subscriptions: dict[int, _Subscription] = {}
        self._numbers = itertools.count(1)
        self._properties: dict[tuple[str, Items, Items], _Property] = {}
        self._topics = dict(KNOWN_TOPICS)
        self._epoch = 0  # moves on restart() and stop(): requests that were waiting are dropped
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._operations: dict[str, Callable[[_Request], str]] = {
            f"{{{TDS}}}GetSystemDateAndTime": self._get_system_date_and_time,
            f"{{{TDS}}}GetDeviceInformation": self._get_device_information,
            f"{{{TDS}}}GetRelayOutputs": self._get_relay_outputs,
            f"{{{TDS}}}SetRelayOutputState": self._set_relay_output_state,
            f"{{{TDS}}}GetServices": self._get_services,
            f"{{{TDS}}}GetCapabilities": self._get_capabilities,
            f"{{{TDS}}}GetServiceCapabilities": lambda _: (
                f"<tds:GetServiceCapabilitiesResponse>{_DEVICE_CAPABILITIES}</tds:GetServiceCapabilitiesResponse>"
            ),
            f"{{{TEV}}}GetServiceCapabilities": lambda _: (
                f"<tev:GetServiceCapabilitiesResponse>{_EVENT_CAPABILITIES}</tev:GetServiceCapabilitiesResponse>"
            ),
            f"{{{TEV}}}GetEventProperties": self._get_event_properties,
            f"{{{TEV}}}CreatePullPointSubscription": self._create_pull_point_subscription,
            f"{{{TEV}}}PullMessages": self._pull_messages,
            f"{{{TEV}}}SetSynchronizationPoint": self._set_synchronization_point,
            f"{{{WSNT}}}Renew": self._renew,
            f"{{{WSNT}}}Unsubscribe": self._unsubscribe,
        }

    # ------------------------------------------------------------------ running

    def start(self) -> OnvifEventCamera:
        """Listen (again) on 127.0.0.1, on a free port the first time and on the same port after that."""
        if self._server is not None:
            raise RuntimeError("the camera is already running")
        self._server = _Server(self, self.port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"onvif-event-camera-{self.port}"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every connection; the port is kept for the next start()."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        self._drop_waiting_requests()
        server.shutdown()
        server.server_close()
        server.drop_connections()
        thread.join()

    def restart(self) -> None:
        """A reboot: forget subscriptions and queued messages (the remembered property states stay)."""
        with self._lock:
            self._subscriptions.clear()
        self._drop_waiting_requests()
        if self._server is not None:
            self._server.drop_connections()

    def __enter__(self) -> OnvifEventCamera:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def device_xaddr(self) -> str:
        return f"http://{self.advertised_host or self.host}:{self.port}/onvif/device_service"

    @property
    def events_xaddr(self) -> str:
        return f"http://{self.advertised_host or self.host}:{self.port}/onvif/event_service"

    @property
    def live_subscriptions(self) -> list[str]:
        """The addresses of the subscriptions that are neither expired nor unsubscribed."""
        with self._lock:
            self._forget_expired()
            return [self._address(number) for number in self._subscriptions]

    def device_time(self) -> datetime:
        """Now on the camera's clock."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    # ------------------------------------------------------------------ events

    def publish(
        self,
        topic: str,
        source: Mapping[str, str],
        data: Mapping[str, str],
        *,
        key: Mapping[str, str] | None = None,
        operation: str | None = "Changed",
        utc_time: datetime | None = None,
    ) -> None:
        """Queue a notification on `topic` to every live subscription.

        `key` is the tt:Key items (the ObjectId of an analytics event), left out when empty.
        `operation` is the PropertyOperation (None for an event that is not a property, like a line crossing);
        Changed and Initialized remember the state of (topic, source, key), Deleted forgets it. `utc_time` is on the
        camera's clock (a naive one is taken as UTC) and defaults to now there.
        """
        key = key or {}
        message = _message(utc_time or self.device_time(), operation, source, key, data)
        identity = (topic, tuple(sorted(source.items())), tuple(sorted(key.items())))
        with self._lock:
            if operation in PROPERTY_OPERATIONS:
                self._properties[identity] = _Property(topic, dict(source), dict(key), dict(data))
            elif operation == "Deleted":
                self._properties.pop(identity, None)
            self._topics.setdefault(topic, _description_of(operation is not None, source, key, data))
            self._queue(_notification(topic, message))

    def publish_raw(self, xml: str, *, topic: str = MOTION_ALARM) -> None:
        """Queue `xml`, any well-formed fragment (the envelope declares tt, tns1, wsnt, xs...), as the content
        of a notification's wsnt:Message, to every live subscription."""
        with self._lock:
            self._queue(_notification(topic, xml))

    def _queue(self, notification: str) -> None:
        """Call with the lock held."""
        self._forget_expired()
        for subscription in self._subscriptions.values():
            subscription.queue.append(notification)
        self._lock.notify_all()

    def _initialized_messages(self) -> list[str]:
        """Every remembered property state as an Initialized notification. Call with the lock held."""
        now = self.device_time()
        return [
            _notification(state.topic, _message(now, "Initialized", state.source, state.key, state.data))
            for state in self._properties.values()
        ]

    # ------------------------------------------------------------------ requests

    def _answer(self, path: str, payload: bytes) -> tuple[int, str]:
        """The HTTP status and SOAP envelope that answer a POST to `path` (raises _Dropped for no answer)."""
        request: _Request | None = None
        try:
            request = _parse_request(path, payload, self._epoch)
            if request.operation not in WITHOUT_AUTHENTICATION and not self._authenticated(request.header):
                raise _Fault("Sender not authorized", ("ter:NotAuthorized",))
            operation = self._operations.get(request.operation)
            if operation is None:
                raise _Fault(f"{request.operation} is not supported", ("ter:ActionNotSupported",), receiver=True)
            return 200, _envelope(request.reply_header(fault=False), operation(request))
        except _Fault as fault:
            header = request.reply_header(fault=True) if request is not None else ""
            return fault.status, _envelope(header, fault.xml())

    def _authenticated(self, header: ElementTree.Element | None) -> bool:
        """Whether `header` has a UsernameToken of our user with the digest of our password:
        Base64(SHA-1(nonce + created + password))."""
        token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken") if header is not None else None
        if token is None or token.findtext(f"{{{WSSE}}}Username") != self.username:
            return False
        password = token.find(f"{{{WSSE}}}Password")
        nonce = token.findtext(f"{{{WSSE}}}Nonce")
        created = token.findtext(f"{{{WSU}}}Created")
        if password is None or not password.get("Type", "").endswith("#PasswordDigest") or not nonce or not created:
            return False
        try:
            nonce_bytes = base64.b64decode(nonce.strip(), validate=True)
        except binascii.Error:
            return False
        digest = hashlib.sha1(nonce_bytes + created.strip().encode() + self.password.encode()).digest()
        return hmac.compare_digest(base64.b64encode(digest), (password.text or "").strip().encode())

    def _get_system_date_and_time(self, request: _Request) -> str:
        now = self.device_time()
        clock = (
            f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
            f"<tt:Second>{now.second}</tt:Second></tt:Time>"
            f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date>"
        )
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>"
            "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{clock}</tt:UTCDateTime><tt:LocalDateTime>{clock}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def _get_device_information(self, request: _Request) -> str:
        return (
            f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{MANUFACTURER}</tds:Manufacturer>"
            f"<tds:Model>{MODEL}</tds:Model><tds:FirmwareVersion>{FIRMWARE_VERSION}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{escape(self.serial_number)}</tds:SerialNumber>"
            f"<tds:HardwareId>{MODEL}</tds:HardwareId></tds:GetDeviceInformationResponse>"
        )

    def _get_relay_outputs(self, request: _Request) -> str:
        with self._lock:
            outputs = "".join(
                f'<tds:RelayOutputs token="{escape(token)}"><tt:Properties><tt:Mode>Monostable</tt:Mode>'
                "<tt:DelayTime>PT1S</tt:DelayTime><tt:IdleState>open</tt:IdleState></tt:Properties></tds:RelayOutputs>"
                for token in self.relays)
        return f"<tds:GetRelayOutputsResponse>{outputs}</tds:GetRelayOutputsResponse>"

    def _set_relay_output_state(self, request: _Request) -> str:
        token = (request.element.findtext(f"{{{TDS}}}RelayOutputToken") or "").strip()
        state = (request.element.findtext(f"{{{TDS}}}LogicalState") or "").strip()
        with self._lock:
            if token not in self.relays:
                raise _Fault(f"No relay output {token!r}", ("ter:InvalidArgVal", "ter:RelayToken"))
            if state not in ("active", "inactive"):
                raise _Fault(f"No logical state {state!r}", ("ter:InvalidArgVal", "ter:ModeError"))
            self.relays[token] = state
            self.switches.append((datetime.now(UTC), token, state))
        return "<tds:SetRelayOutputStateResponse/>"

    def _get_services(self, request: _Request) -> str:
        include_capability = (request.element.findtext(f"{{{TDS}}}IncludeCapability") or "").strip() in ("true", "1")
        services = ((TDS, self.device_xaddr, _DEVICE_CAPABILITIES), (TEV, self.events_xaddr, _EVENT_CAPABILITIES))
        return (
            "<tds:GetServicesResponse>"
            + "".join(
                f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr>"
                + (f"<tds:Capabilities>{capabilities}</tds:Capabilities>" if include_capability else "")
                + "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
                for namespace, xaddr, capabilities in services
            )
            + "</tds:GetServicesResponse>"
        )

    def _get_capabilities(self, request: _Request) -> str:
        categories = {(element.text or "").strip() for element in request.element.iter(f"{{{TDS}}}Category")}
        categories = categories or {"All"}
        capabilities = ""
        if categories & {"All", "Device"}:
            capabilities += f"<tt:Device><tt:XAddr>{self.device_xaddr}</tt:XAddr></tt:Device>"
        if categories & {"All", "Events"}:
            capabilities += (
                f"<tt:Events><tt:XAddr>{self.events_xaddr}</tt:XAddr>"
                "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
                "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
                "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
                "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
            )
        if not capabilities:
            raise _Fault("No such service", ("ter:ActionNotSupported", "ter:NoSuchService"), receiver=True)
        return (
            f"<tds:GetCapabilitiesResponse><tds:Capabilities>{capabilities}</tds:Capabilities>"
            "</tds:GetCapabilitiesResponse>"
        )

    def _get_event_properties(self, request: _Request) -> str:
        with self._lock:
            topics = [
                (topic.split("/"), description)
                for topic, description in self._topics.items()
                if _TOPIC_SET_TOPIC.fullmatch(topic)
            ]
        return (
            "<tev:GetEventPropertiesResponse>"
            "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>"
            "<wsnt:FixedTopicSet>false</wsnt:FixedTopicSet>"  # publish() may add topics
            f"<wstop:TopicSet>{_topic_tree(topics)}</wstop:TopicSet>"
            f"<wsnt:TopicExpressionDialect>{CONCRETE_SET}</wsnt:TopicExpressionDialect>"
            "<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete"
            "</wsnt:TopicExpressionDialect>"
            "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"
            "</tev:MessageContentFilterDialect>"
            "<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd"
            "</tev:MessageContentSchemaLocation>"
            "</tev:GetEventPropertiesResponse>"
        )

    def _create_pull_point_subscription(self, request: _Request) -> str:
        if request.element.find(f"{{{TEV}}}Filter") is not None:
            raise _Fault("This camera does not filter subscriptions", ("wsntw:InvalidFilterFault",))
        initial = request.element.findtext(f"{{{TEV}}}InitialTerminationTime")
        expires, keepalive = self._termination(initial, "UnacceptableInitialTerminationTimeFault")
        with self._lock:
            subscription = _Subscription(next(self._numbers), expires, keepalive)
            subscription.queue.extend(self._initialized_messages())
            self._subscriptions[subscription.number] = subscription
            self.subscriptions_created += 1
        return (
            "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
            f"<wsa:Address>{self._address(subscription.number)}</wsa:Address></tev:SubscriptionReference>"
            f"<wsnt:CurrentTime>{_xml_time(self.device_time())}</wsnt:CurrentTime>"
            f"<wsnt:TerminationTime>{self._termination_time(subscription)}</wsnt:TerminationTime>"
            "</tev:CreatePullPointSubscriptionResponse>"
        )

    def _pull_messages(self, request: _Request) -> str:
        timeout = _duration(request.element.findtext(f"{{{TEV}}}Timeout"))
        limit = _message_limit(request.element.findtext(f"{{{TEV}}}MessageLimit"))
        deadline = time.monotonic() + timeout.total_seconds()
        with self._lock:
            self.pulls += 1
            subscription = self._subscription(request)
            self._keep_alive(subscription)
            while (
                not subscription.queue
                and self._subscriptions.get(subscription.number) is subscription
                and request.epoch == self._epoch
                and (remaining := deadline - time.monotonic()) > 0
            ):
                self._lock.wait(remaining)
            if request.epoch != self._epoch:
                raise _Dropped
            subscription = self._subscription(request)  # a fault if it was unsubscribed or expired meanwhile
            self._keep_alive(subscription)
            messages = [subscription.queue.popleft() for _ in range(min(limit, len(subscription.queue)))]
            termination_time = self._termination_time(subscription)
        return (
            f"<tev:PullMessagesResponse><tev:CurrentTime>{_xml_time(self.device_time())}</tev:CurrentTime>"
            f"<tev:TerminationTime>{termination_time}</tev:TerminationTime>{''.join(messages)}</tev:PullMessagesResponse>"
        )

    def _set_synchronization_point(self, request: _Request) -> str:
        with self._lock:
            self._subscription(request).queue.extend(self._initialized_messages())
            self._lock.notify_all()
        return "<tev:SetSynchronizationPointResponse/>"

    def _renew(self, request: _Request) -> str:
        with self._lock:
            self.renewals += 1
            subscription = self._subscription(request)
            if self.fail_renewals:
                raise self._unacceptable_termination_time("UnacceptableTerminationTimeFault", "Renewals are refused")
            requested = request.element.findtext(f"{{{WSNT}}}TerminationTime")
            subscription.expires, subscription.keepalive = self._termination(
                requested, "UnacceptableTerminationTimeFault"
            )
            termination_time = self._termination_time(subscription)
        return (
            f"<wsnt:RenewResponse><wsnt:TerminationTime>{termination_time}</wsnt:TerminationTime>"
            f"<wsnt:CurrentTime>{_xml_time(self.device_time())}</wsnt:CurrentTime></wsnt:RenewResponse>"
        )

    def _unsubscribe(self, request: _Request) -> str:
        with self._lock:
            del self._subscriptions[self._subscription(request).number]
            self._lock.notify_all()
        return "<wsnt:UnsubscribeResponse/>"

    # ------------------------------------------------------------------ subscriptions

    def _address(self, number: int) -> str:
        return f"http://{self.advertised_host or self.host}:{self.port}/onvif/subscription/{number}"

    def _subscription(self, request: _Request) -> _Subscription:
        """The live subscription `request` was sent to, else a ResourceUnknownFault. Call with the lock held."""
        self._forget_expired()
        match = _SUBSCRIPTION_PATH.fullmatch(request.path)
        subscription = self._subscriptions.get(int(match[1])) if match else None
        if subscription is None:
            detail = (
                f"<wsrf-r:ResourceUnknownFault><wsrf-bf:Timestamp>{_xml_time(self.device_time())}</wsrf-bf:Timestamp>"
                f"<wsrf-bf:Description>No subscription at {escape(request.path)}</wsrf-bf:Description>"
                "</wsrf-r:ResourceUnknownFault>"
            )
            raise _Fault(f"No subscription at {request.path}", ("wsrf-rw:ResourceUnknownFault",), detail=detail)
        return subscription

    def _forget_expired(self) -> None:
        """Call with the lock held."""
        now = datetime.now(UTC)
        for number in [number for number, subscription in self._subscriptions.items() if subscription.expires <= now]:
            del self._subscriptions[number]

    def _keep_alive(self, subscription: _Subscription) -> None:
        if self.pulls_keep_alive and subscription.keepalive is not None:
            subscription.expires = max(subscription.expires, datetime.now(UTC) + subscription.keepalive)

    def _termination_time(self, subscription: _Subscription) -> str:
        return _xml_time(subscription.expires + timedelta(seconds=self.clock_offset))

    def _termination(self, requested: str | None, fault: str) -> tuple[datetime, timedelta | None]:
        """When a subscription asking for termination time `requested` (an xs:duration or an xs:dateTime on the
        camera's clock) ends on our clock, and its relative termination time (None for an absolute one)."""
        now = datetime.now(UTC)
        value = (requested or "").strip()
        if not value:
            return now + DEFAULT_TERMINATION, DEFAULT_TERMINATION
        if value.startswith("P"):
            relative = _duration(value)
            expires, keepalive = now + relative, relative
        else:
            expires, keepalive = _datetime(value) - timedelta(seconds=self.clock_offset), None
        if expires <= now:
            raise self._unacceptable_termination_time(fault, f"Termination time {value} is not in the future")
        return expires, keepalive

    def _unacceptable_termination_time(self, fault: str, reason: str) -> _Fault:
        now = self.device_time()
        detail = (
            f"<wsnt:{fault}><wsrf-bf:Timestamp>{_xml_time(now)}</wsrf-bf:Timestamp>"
            f"<wsnt:MinimumTime>{_xml_time(now + timedelta(seconds=1))}</wsnt:MinimumTime></wsnt:{fault}>"
        )
        return _Fault(reason, (f"wsntw:{fault}",), detail=detail)

    def _drop_waiting_requests(self) -> None:
        with self._lock:
            self._epoch += 1
            self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    """The camera's HTTP server; it keeps its connections so that they can be dropped."""

    daemon_threads = True

    def __init__(self, camera: OnvifEventCamera, port: int) -> None:
        self.camera = camera
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((OnvifEventCamera.host, port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open between requests, as cameras do
    server: _Server

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status, envelope = self.server.camera._answer(self.path, payload)
        except _Dropped:
            self.close_connection = True
            return
        body = envelope.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the connection was dropped by restart() or stop()
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the camera's counters, not its log."""


# ---------------------------------------------------------------------- XML


def _parse_request(path: str, payload: bytes, epoch: int) -> _Request:
    try:
        envelope = ElementTree.fromstring(payload)
    except ElementTree.ParseError as error:
        raise _Fault(f"Not well-formed XML: {error}", ("ter:WellFormed",)) from error
    body = envelope.find(f"{{{SOAP}}}Body")
    if envelope.tag != f"{{{SOAP}}}Envelope" or body is None or len(body) == 0:
        raise _Fault("Not a SOAP 1.2 envelope with a request in its body", ("ter:WellFormed",))
    return _Request(path, body[0].tag, body[0], envelope.find(f"{{{SOAP}}}Header"), epoch)


def _envelope(header: str, body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<s:Envelope{_ENVELOPE_DECLARATIONS}>{header}<s:Body>{body}</s:Body></s:Envelope>"
    )


def _notification(topic: str, message: str) -> str:
    return (
        f'<wsnt:NotificationMessage><wsnt:Topic Dialect="{CONCRETE_SET}">{escape(topic)}</wsnt:Topic>'
        f"<wsnt:Message>{message}</wsnt:Message></wsnt:NotificationMessage>"
    )


def _message(
    utc_time: datetime,
    operation: str | None,
    source: Mapping[str, str],
    key: Mapping[str, str],
    data: Mapping[str, str],
) -> str:
    """A tt:Message; its Key only when `key` has items."""
    property_operation = f' PropertyOperation="{_attribute(operation)}"' if operation is not None else ""
    key_items = _item_list("Key", key) if key else ""
    return (
        f'<tt:Message UtcTime="{_xml_time(utc_time, milliseconds=True)}"{property_operation}>'
        f"{_item_list('Source', source)}{key_items}{_item_list('Data', data)}</tt:Message>"
    )


def _item_list(name: str, items: Mapping[str, str]) -> str:
    simple_items = "".join(
        f'<tt:SimpleItem Name="{_attribute(item)}" Value="{_attribute(value)}"/>' for item, value in items.items()
    )
    return f"<tt:{name}>{simple_items}</tt:{name}>"


def _description_of(
    is_property: bool, source: Mapping[str, str], key: Mapping[str, str], data: Mapping[str, str]
) -> TopicDescription:
    """The description of a topic only known from an event published on it: all its items are strings."""

    def strings(items: Mapping[str, str]) -> Items:
        return tuple((name, "xs:string") for name in items)

    return TopicDescription(is_property, strings(source), strings(data), strings(key))


def _topic_tree(topics: list[tuple[list[str], TopicDescription]]) -> str:
    """The wstop:TopicSet content for topics given as their path's parts: one element per part, the first
    prefixed with tns1 and the rest unqualified, a topic's element marked wstop:topic and holding its description."""
    tree = ""
    for name, group in itertools.groupby(sorted(topics, key=lambda topic: topic[0]), key=lambda topic: topic[0][0]):
        members = list(group)
        own = next((description for parts, description in members if len(parts) == 1), None)
        children = [(parts[1:], description) for parts, description in members if len(parts) > 1]
        if own is None:
            tree += f"<{name}>{_topic_tree(children)}</{name}>"
        else:
            tree += f'<{name} wstop:topic="true">{_message_description(own)}{_topic_tree(children)}</{name}>'
    return tree


def _message_description(description: TopicDescription) -> str:
    def item_list(name: str, items: Items) -> str:
        simple_items = "".join(f'<tt:SimpleItemDescription Name="{item}" Type="{kind}"/>' for item, kind in items)
        return f"<tt:{name}>{simple_items}</tt:{name}>" if items else ""

    is_property = "true" if description.is_property else "false"
    return (
        f'<tt:MessageDescription IsProperty="{is_property}">{item_list("Source", description.source)}'
        f"{item_list('Key', description.key)}{item_list('Data', description.data)}</tt:MessageDescription>"
    )


def _attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _xml_time(moment: datetime, *, milliseconds: bool = False) -> str:
    """An xs:dateTime in UTC with a Z; a naive `moment` is taken as UTC."""
    utc = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    return utc.isoformat(timespec="milliseconds" if milliseconds else "seconds").replace("+00:00", "Z")


def _duration(value: str | None) -> timedelta:
    """An xs:duration of days, hours, minutes and seconds (PT5S, PT1M30S, P1DT2H), else an InvalidArgVal fault."""
    match = _DURATION.fullmatch((value or "").strip())
    if match is None or not any(match.groups()):
        raise _Fault(f"Not a duration: {value!r}", ("ter:InvalidArgVal",))
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _datetime(value: str) -> datetime:
    """An xs:dateTime (a naive one taken as UTC), else an InvalidArgVal fault."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise _Fault(f"Not a time: {value!r}", ("ter:InvalidArgVal",)) from error
    return moment.replace(tzinfo=moment.tzinfo or UTC)


def _message_limit(value: str | None) -> int:
    """A positive xs:int, else an InvalidArgVal fault."""
    text = (value or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise _Fault(f"Not a message limit: {value!r}", ("ter:InvalidArgVal",))
    return int(text)
