"""What a camera's own analytics see, read from the ONVIF metadata track of its RTSP session (Profile M): pure code,
RTP payloads in, the same `SceneFrame`s as AXIS Scene Metadata over MQTT out (video.scene_metadata), so tracks,
rules, overlays and events work on them unchanged.

The track (RTSP media `application`, encoding `VND.ONVIF.METADATA`) carries XML documents, `tt:MetadataStream`, each
split over one or more RTP packets (ONVIF Streaming Specification). FFmpeg hands each RTP payload over as a packet
of a `data` stream without the marker bit that ends a document, so documents are cut at their closing tag.

What is read, as the ONVIF Analytics Service Specification (github.com/onvif/specs, doc/Analytics.xml, "Scene
Description") defines it:
- `tt:VideoAnalytics/tt:Frame` (UtcTime) with its `tt:Object`s (ObjectId; Appearance: Shape/BoundingBox, and Class,
  either `tt:Type Likelihood=".."` or, before ONVIF 2, `tt:ClassCandidate` with Type and Likelihood);
- coordinates: normalised, -1..1 with y up, unless a `tt:Transformation` (in the Frame, and again in an object's
  Appearance) changes them: a point p is q = Scale * p + Translate in the coordinate system it modifies;
- `tt:ObjectTree`: Delete ends a track, Rename continues one under a new id, Merge ends the tracks merged into another.
Anything else in a document (PTZ status, events, vendor extensions) is skipped.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from video.geometry import Box
from video.scene_metadata import MAX_OBJECTS, MalformedMetadata, SceneFrame, SceneObject, frame_time, label_of

# A document bigger than this is not a camera's scene description: what was gathered is dropped.
MAX_DOCUMENT_BYTES = 1_000_000
_MAX_ID = 100
_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?MetadataStream\s*>")
_START = re.compile(rb"<(?:\?xml[\s?]|(?:[A-Za-z_][\w.-]*:)?MetadataStream[\s>/])")


log = logging.getLogger(__name__)


class MetadataDocuments:
    """Gathers the metadata track's RTP payloads into whole `MetadataStream` documents.

    A payload lost on the way leaves a document that will not parse (the parser says so), or the start of one
    whose end never comes (dropped with a log line, and counted in `dropped`), and nothing more: the next document
    starts afresh at its own opening tag."""

    def __init__(self) -> None:
        self.dropped = 0
        self._pending = bytearray()

    def add(self, payload: bytes) -> list[bytes]:
        """Take the next payload; return the documents it completes, in order."""
        self._pending += payload
        documents = []
        while (end := _END.search(self._pending)) is not None:
            text = bytes(self._pending[:end.end()])
            del self._pending[:end.end()]
            start = _document_start(text, [match.start() for match in _START.finditer(text)])
            if text[:start].strip():
                self._drop(start, "its end was lost")
            documents.append(text[start:])
        if len(self._pending) > MAX_DOCUMENT_BYTES:
            self._drop(len(self._pending), f"it did not end within {MAX_DOCUMENT_BYTES} bytes")
            self._pending.clear()
        return documents

    def _drop(self, size: int, why: str) -> None:
        self.dropped += 1
        log.warning("metadata track: dropped %d bytes of a metadata document: %s", size, why)


def _document_start(text: bytes, starts: list[int]) -> int:
    """Where the last document in `text` begins: at its XML declaration or, without one, its opening tag (bytes
    before it are the rest of a document whose end was lost)."""
    if not starts:
        return 0
    last = starts[-1]
    if text.startswith(b"<?xml", last) or len(starts) == 1:
        return last
    previous = starts[-2]
    return previous if text.startswith(b"<?xml", previous) else last


@dataclass(frozen=True)
class _Transform:
    """A coordinate system: q = scale * p + translate gives a point's normalised coordinates."""

    scale_x: float = 1.0
    scale_y: float = 1.0
    translate_x: float = 0.0
    translate_y: float = 0.0

    def then(self, node: ElementTree.Element | None) -> _Transform:
        """This system modified by a `tt:Transformation` node (None: unchanged)."""
        if node is None:
            return self
        scale = _child(node, "Scale")
        translate = _child(node, "Translate")
        sx, sy = (_number(scale, "x", 1.0), _number(scale, "y", 1.0)) if scale is not None else (1.0, 1.0)
        tx, ty = (_number(translate, "x", 0.0), _number(translate, "y", 0.0)) if translate is not None else (0.0, 0.0)
        return _Transform(self.scale_x * sx, self.scale_y * sy,
                          self.scale_x * tx + self.translate_x, self.scale_y * ty + self.translate_y)

    def picture_point(self, x: float, y: float) -> tuple[float, float]:
        """A point of this system as fractions of the picture, y down (the VMS's own coordinates)."""
        qx = self.scale_x * x + self.translate_x
        qy = self.scale_y * y + self.translate_y
        return (qx + 1) / 2, (1 - qy) / 2


def parse_metadata_stream(document: bytes | str) -> list[SceneFrame]:
    """Read one `tt:MetadataStream` document into its frames (none when it carries no scene description).
    Raises MalformedMetadata."""
    if len(document) > MAX_DOCUMENT_BYTES:
        raise MalformedMetadata(f"the document is over {MAX_DOCUMENT_BYTES} bytes")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise MalformedMetadata(f"not XML: {exc}") from None
    if _local(root.tag) != "MetadataStream":
        raise MalformedMetadata(f"not a MetadataStream but {_local(root.tag)[:40]!r}")
    frames = []
    for analytics in _children(root, "VideoAnalytics"):
        for frame in _children(analytics, "Frame"):
            frames.append(_frame(frame))
    return frames


def _frame(frame: ElementTree.Element) -> SceneFrame:
    transform = _Transform().then(_child(frame, "Transformation"))
    objects = []
    for item in _children(frame, "Object"):
        found = _object(item, transform)
        if found is not None:
            objects.append(found)
        if len(objects) > MAX_OBJECTS:
            raise MalformedMetadata(f"the frame has over {MAX_OBJECTS} objects")
    ended: list[str] = []
    renamed: list[tuple[str, str]] = []
    tree = _child(frame, "ObjectTree")
    if tree is not None:
        for operation in tree:
            kind = _local(operation.tag)
            if kind == "Delete":
                ended.append(_id(operation.get("ObjectId")))
            elif kind == "Rename":
                renamed.append((_ids(operation, "From")[0], _ids(operation, "To")[0]))
            elif kind == "Merge":
                into = set(_ids(operation, "To"))
                ended += [merged for merged in _ids(operation, "From") if merged not in into]
    return SceneFrame(frame_time(frame.get("UtcTime")), objects, ended, renamed)


def _object(item: ElementTree.Element, transform: _Transform) -> SceneObject | None:
    """The object as the VMS tracks it, or None when the camera gave no shape (an object it infers but cannot see,
    or one it only marks Idle or Removed)."""
    object_id = _id(item.get("ObjectId"))
    appearance = _child(item, "Appearance")
    if appearance is None:
        return None
    transform = transform.then(_child(appearance, "Transformation"))
    shape = _child(appearance, "Shape")
    box = _child(shape, "BoundingBox") if shape is not None else None
    if box is None:
        return None
    corners = [transform.picture_point(_number(box, "left"), _number(box, "top")),
               transform.picture_point(_number(box, "right"), _number(box, "bottom"))]
    xs = sorted(min(max(x, 0.0), 1.0) for x, _ in corners)
    ys = sorted(min(max(y, 0.0), 1.0) for _, y in corners)
    if xs[1] <= xs[0] or ys[1] <= ys[0]:
        return None  # wholly outside the picture, or of no size
    label, score = _class(_child(appearance, "Class"))
    return SceneObject(object_id, label, score, Box.from_corners(xs[0], ys[0], xs[1], ys[1]))


def _class(node: ElementTree.Element | None) -> tuple[str, float]:
    """The likeliest class and its likelihood: `tt:Type Likelihood=..` elements, or the older `tt:ClassCandidate`s.
    An object of no class is "unknown" (and is masked or counted as such), with likelihood 1."""
    if node is None:
        return label_of(""), 1.0
    candidates = []
    for child in node:
        name = _local(child.tag)
        if name == "Type":
            candidates.append((_likelihood(child.get("Likelihood")), child.text or ""))
        elif name == "ClassCandidate":
            kind, likelihood = _child(child, "Type"), _child(child, "Likelihood")
            candidates.append((_likelihood(likelihood.text if likelihood is not None else None),
                               kind.text or "" if kind is not None else ""))
    if not candidates:
        return label_of(""), 1.0
    likelihood, kind = max(candidates, key=lambda candidate: candidate[0])
    return label_of(kind), likelihood


def _likelihood(text: str | None) -> float:
    if text is None:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise MalformedMetadata(f"likelihood {text[:40]!r} is not a number") from None
    if not 0 <= value <= 1:
        raise MalformedMetadata("a likelihood is not between 0 and 1")
    return value


def _ids(node: ElementTree.Element, part: str) -> list[str]:
    ids = [_id(child.get("ObjectId")) for child in _children(node, part)]
    if not ids:
        raise MalformedMetadata(f"an ObjectTree {_local(node.tag)} has no {part}")
    return ids


def _id(value: str | None) -> str:
    if not value or len(value) > _MAX_ID:
        raise MalformedMetadata("an object has no ObjectId")
    return value


def _number(node: ElementTree.Element, name: str, default: float | None = None) -> float:
    text = node.get(name)
    if text is None and default is not None:
        return default
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise MalformedMetadata(f"{_local(node.tag)} has no number {name}") from None
    if not math.isfinite(value):
        raise MalformedMetadata(f"{_local(node.tag)} {name} is not finite")
    return value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next(_children(node, name), None)


def _children(node: ElementTree.Element, name: str):
    return (child for child in node if _local(child.tag) == name)
