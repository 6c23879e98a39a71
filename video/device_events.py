"""What a camera says happened, read from its ONVIF event notifications: pure code, XML in, `DeviceEvent` out.

An ONVIF notification names a topic (`tns1:VideoSource/MotionAlarm`) and carries a `tt:Message` with the device's
time, whether it reports a state (PropertyOperation Initialized, Changed, Deleted) or a one-off happening, the
source (`tt:Source`: which video source, input or rule) and the data (`tt:Data`: `State`, `IsMotion`,
`LogicalState`, ...) as name-value pairs. The common topics are given a kind in the VMS's words (motion, tamper,
digital input, and the camera's own analytics rules); any other topic is kept as it came, with its topic and data,
and rules can still match it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree

_ONVIF_SCHEMA = "http://www.onvif.org/ver10/schema"
_ONVIF_TOPICS = "http://www.onvif.org/ver10/topics"
_TRUE = {"true", "1", "on", "active", "yes"}
_FALSE = {"false", "0", "off", "inactive", "no"}
# Data items that say whether the condition holds, in the names cameras use for them.
_STATE_ITEMS = ("State", "IsMotion", "LogicalState", "IsTamper", "IsInside", "Active", "IsTooDark", "IsTooBlurry",
                "IsTooBright", "IsGlobalSceneChange", "ImageTooDark", "ImageTooBlurry", "ImageTooBright")
# The longest topic prefix decides the kind: (prefix of the topic after its namespace prefix, kind).
_KINDS = (
    ("VideoSource/MotionAlarm", "motion"),
    ("RuleEngine/CellMotionDetector", "motion"),
    ("RuleEngine/MotionRegionDetector", "motion"),
    ("VideoSource/GlobalSceneChange", "tamper"),
    ("VideoSource/ImageTooDark", "tamper"),
    ("VideoSource/ImageTooBlurry", "tamper"),
    ("VideoSource/ImageTooBright", "tamper"),
    ("RuleEngine/TamperDetector", "tamper"),
    ("Device/Trigger/DigitalInput", "digital_input"),
    ("Device/IO/Port", "digital_input"),
    ("Device/IO/VirtualPort", "digital_input"),
    ("RuleEngine/LineDetector", "line_crossing"),
    ("RuleEngine/FieldDetector", "field"),
    ("RuleEngine/LoiteringDetector", "loitering"),
    ("RuleEngine/CountAggregation", "object_counting"),
    ("RuleEngine/ObjectCounting", "object_counting"),
)
_THERMAL_PARTS = ("thermometry", "radiometry")
KINDS = {
    "motion": "Motion",
    "tamper": "Tamper (scene changed, too dark or blurry)",
    "digital_input": "Digital input",
    "line_crossing": "Line crossing (camera rule)",
    "field": "Object in area (camera rule)",
    "loitering": "Loitering (camera rule)",
    "object_counting": "Object counting (camera rule)",
    "temperature": "Temperature alarm (thermal camera)",
    "other": "Other camera event",
}
# A message's text may be large (a camera's own XML); no event needs more than this, nor a pull's answer more
# than this.
MAX_MESSAGE_BYTES = 64_000
MAX_PULL_BYTES = 8_000_000
_MAX_ITEMS = 32
_MAX_VALUE = 500


class MalformedEvent(ValueError):
    """A notification that cannot be read as an ONVIF event; str() says why, for the log."""


class PullRefused(Exception):
    """The camera answered a pull with a fault (most often: it no longer knows the subscription); str() is its
    reason."""


@dataclass(frozen=True)
class DeviceEvent:
    """One event as the camera reported it. `at` is the camera's own time (UTC); `state` is True or False when
    the event reports a condition that holds or has ended, None for a one-off happening (a line crossed)."""

    topic: str
    kind: str
    at: datetime
    operation: str  # Initialized, Changed, Deleted, or "" for a one-off happening
    source: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    state: bool | None = None

    @property
    def is_property(self) -> bool:
        """Whether it reports a state the camera keeps (sent again on every new subscription)."""
        return self.operation != ""


@dataclass(frozen=True)
class Pulled:
    """What one pull brought: the camera's time when it answered, the events, and why each notification that could
    not be read was refused."""

    camera_time: datetime | None
    events: list[DeviceEvent]
    refused: list[str]


def parse_pull_response(envelope: bytes) -> Pulled:
    """Read a PullMessages answer (its SOAP envelope). Raises PullRefused for a fault, MalformedEvent when the
    answer is not a PullMessagesResponse."""
    if len(envelope) > MAX_PULL_BYTES:
        raise MalformedEvent(f"the answer is over {MAX_PULL_BYTES} bytes")
    body = next((child for child in _element(envelope, MAX_PULL_BYTES) if _local(child.tag) == "Body"), None)
    answer = next(iter(body), None) if body is not None else None
    if answer is None:
        raise MalformedEvent("the answer has no SOAP body")
    if _local(answer.tag) == "Fault":
        texts = [" ".join((element.text or "").split()) for element in answer.iter() if _local(element.tag) == "Text"]
        raise PullRefused(next((text for text in texts if text), "no reason given")[:_MAX_VALUE])
    if _local(answer.tag) != "PullMessagesResponse":
        raise MalformedEvent(f"expected a PullMessagesResponse, got <{_local(answer.tag)}>")
    camera_time, events, refused = None, [], []
    for part in answer:
        if _local(part.tag) == "CurrentTime":
            try:
                camera_time = _utc_time(part.text)
            except MalformedEvent:
                camera_time = None  # the events keep their own times; only the clock's offset is not known
        elif _local(part.tag) == "NotificationMessage":
            topic = next((c for c in part if _local(c.tag) == "Topic"), None)
            holder = next((c for c in part if _local(c.tag) == "Message"), None)
            message = next(iter(holder), None) if holder is not None else None
            try:
                if topic is None or message is None:
                    raise MalformedEvent("the notification holds no topic or no message")
                events.append(parse_notification(topic.text or "", message))
            except MalformedEvent as exc:
                refused.append(str(exc))
    return Pulled(camera_time, events, refused)


def kind_of(topic: str) -> str:
    """The VMS's kind of a topic such as `tns1:RuleEngine/LineDetector/Crossed` ("other" when not a common one).
    Thermal cameras name their temperature alarms in their makers' own ways (`tnsaxis:Thermometry/...`, ONVIF
    radiometry rules): any topic with a thermometry, radiometry or temperature part is a temperature alarm."""
    path = topic.split(":", 1)[1] if ":" in topic.split("/", 1)[0] else topic
    best = ("", "other")
    for prefix, kind in _KINDS:
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best[0]):
            best = (prefix, kind)
    parts = [part.rsplit(":", 1)[-1].lower() for part in path.split("/")]
    if best[1] == "other" and any(part.startswith(_THERMAL_PARTS) or "temperature" in part for part in parts):
        return "temperature"
    return best[1]


def parse_notification(topic: str, message: ElementTree.Element | bytes | str) -> DeviceEvent:
    """Read one notification: its topic text and its `tt:Message` (an element, or its XML). Raises MalformedEvent
    when the message is not a `tt:Message` with a time, or holds more than an event needs."""
    element = _element(message)
    if _local(element.tag) != "Message":
        raise MalformedEvent(f"expected a tt:Message, got <{_local(element.tag)}>")
    topic = " ".join(topic.split())
    if not topic or len(topic) > _MAX_VALUE:
        raise MalformedEvent("the notification names no topic")
    at = _utc_time(element.get("UtcTime"))
    operation = element.get("PropertyOperation") or ""
    if operation not in ("", "Initialized", "Changed", "Deleted"):
        raise MalformedEvent(f"unknown PropertyOperation {operation[:40]!r}")
    # A Key (which object of a rule, say) tells the instances of a state apart, as the source does.
    source, data = {**_items(element, "Source"), **_items(element, "Key")}, _items(element, "Data")
    return DeviceEvent(topic, kind_of(topic), at, operation, source, data, _state(data, operation))


def _element(message: ElementTree.Element | bytes | str, limit: int = MAX_MESSAGE_BYTES) -> ElementTree.Element:
    if not isinstance(message, bytes | str):
        return message
    if len(message) > limit:
        raise MalformedEvent(f"the message is over {limit} bytes")
    try:
        return ElementTree.fromstring(message)
    except ElementTree.ParseError as exc:
        raise MalformedEvent(f"not XML: {exc}") from None


def _utc_time(text: str | None) -> datetime:
    if not text:
        raise MalformedEvent("the message has no UtcTime")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent(f"UtcTime {text[:40]!r} is not a time") from None
    # A camera that leaves out the zone means UTC, as the attribute's name says.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _items(message: ElementTree.Element, part: str) -> dict[str, str]:
    """The SimpleItems (name, value) of the message's Source or Data; an ElementItem is kept by name, as XML."""
    items: dict[str, str] = {}
    for holder in message:
        if _local(holder.tag) != part:
            continue
        for item in holder:
            name = item.get("Name")
            if _local(item.tag) not in ("SimpleItem", "ElementItem") or not name:
                raise MalformedEvent(f"an item of {part} has no name")
            if _local(item.tag) == "SimpleItem":
                value = item.get("Value")
                if value is None:
                    raise MalformedEvent(f"{part} item {name[:40]!r} has no value")
            else:
                value = "".join(ElementTree.tostring(child, encoding="unicode") for child in item)
            if len(items) >= _MAX_ITEMS or len(name) > _MAX_VALUE:
                raise MalformedEvent(f"{part} holds more than an event needs")
            items[name] = value[:_MAX_VALUE]
    return items


def _state(data: dict[str, str], operation: str) -> bool | None:
    """Whether the reported condition holds: the first state item's value, read as true or false. A property
    the camera deleted no longer holds; a one-off happening has no state."""
    if operation == "Deleted":
        return False
    for name in _STATE_ITEMS:
        value = data.get(name, "").strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class EventRuleSpec:
    """A rule on a camera's own events: of this kind (or any), under this topic (or any), with these source or
    data items (name, value); empty means any."""

    id: int
    kind: str = ""
    topic: str = ""
    items: tuple[tuple[str, str], ...] = ()

    def about(self, event: DeviceEvent) -> bool:
        """Whether the event is of the rule's kind and topic (whatever its items say)."""
        topic = self.topic.rstrip("/")
        return ((not self.kind or event.kind == self.kind)
                and (not topic or event.topic == topic or event.topic.startswith(topic + "/")))

    def matches(self, event: DeviceEvent) -> bool:
        reported = {**event.source, **event.data}
        return self.about(event) and all(reported.get(name) == value for name, value in self.items)


def condition_key(topic: str, source: dict[str, str]) -> str:
    """What a state event is about: its topic and source (motion on video source 1, input 2)."""
    return topic + "".join(f"|{name}={value}" for name, value in sorted(source.items()))


@dataclass
class EventRuleUpdate:
    """The (rule id, condition key) pairs that started and ended firing on one event."""

    started: list[tuple[int, str]] = field(default_factory=list)
    ended: list[tuple[int, str]] = field(default_factory=list)


class EventRuleEngine:
    """Which rules on a camera's own events fire: a condition that starts to hold (state true) starts a rule that
    matches it, the same condition's end (state false, whatever else the event says) ends it, and a one-off
    happening (a line crossed) starts and ends it at once. A state sent again (a new subscription's Initialized
    messages) changes nothing unless it differs."""

    def __init__(self, rules: list[EventRuleSpec], firing: set[tuple[int, str]] | None = None) -> None:
        self.rules = rules
        self.firing = set(firing or ())

    def feed(self, event: DeviceEvent, active: set[int] | None = None) -> EventRuleUpdate:
        """`active`: the ids of the rules within their schedule (None: all)."""
        update = EventRuleUpdate()
        key = condition_key(event.topic, event.source)
        for rule in self.rules:
            firing = (rule.id, key) in self.firing
            if event.state is False and firing and rule.about(event):
                self.firing.discard((rule.id, key))
                update.ended.append((rule.id, key))
            elif event.state is not False and not firing and rule.matches(event) and (
                    active is None or rule.id in active):
                update.started.append((rule.id, key))
                if event.state is None:
                    update.ended.append((rule.id, key))
                else:
                    self.firing.add((rule.id, key))
        return update
