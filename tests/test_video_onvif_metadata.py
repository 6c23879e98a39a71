"""The ONVIF metadata track (Profile M) read into scene frames: documents gathered from RTP payloads, and parsed."""

import random
from datetime import UTC, datetime

import pytest

from video.onvif_metadata import MAX_DOCUMENT_BYTES, MetadataDocuments, parse_metadata_stream
from video.scene_metadata import MAX_OBJECTS, MalformedMetadata, SceneTracks

TT = "http://www.onvif.org/ver10/schema"


def document(frames: str, prefix: str = "tt", declaration: bool = True) -> bytes:
    """A MetadataStream with `frames` (written with the tt: prefix) under another prefix, or none (default
    namespace) when prefix is ""."""
    if prefix != "tt":
        frames = frames.replace("tt:", f"{prefix}:" if prefix else "")
    tag = f"{prefix}:MetadataStream" if prefix else "MetadataStream"
    xmlns = f'xmlns:{prefix}="{TT}"' if prefix else f'xmlns="{TT}"'
    analytics = f"{prefix}:VideoAnalytics" if prefix else "VideoAnalytics"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    return f"{head}<{tag} {xmlns}><{analytics}>{frames}</{analytics}></{tag}>".encode()


def frame(objects: str, time: str = "2026-12-04T22:00:00.100Z", transformation: str = "") -> str:
    return f'<tt:Frame UtcTime="{time}" Source="VideoAnalyticsToken">{transformation}{objects}</tt:Frame>'


def human(object_id: int, left: float, top: float, right: float, bottom: float, likelihood: float = 0.8,
          appearance_extra: str = "") -> str:
    return (f'<tt:Object ObjectId="{object_id}"><tt:Appearance>{appearance_extra}<tt:Shape>'
            f'<tt:BoundingBox left="{left}" top="{top}" right="{right}" bottom="{bottom}"/>'
            f'<tt:CenterOfGravity x="{(left + right) / 2}" y="{(top + bottom) / 2}"/></tt:Shape>'
            f'<tt:Class><tt:Type Likelihood="{likelihood}">Human</tt:Type></tt:Class>'
            "</tt:Appearance></tt:Object>")


def one_frame(doc: bytes):
    frames = parse_metadata_stream(doc)
    assert len(frames) == 1
    return frames[0]


def test_a_frame_in_normalised_coordinates_becomes_boxes_in_fractions_of_the_picture_y_down():
    parsed = one_frame(document(frame(human(7, -0.5, 0.5, 0.0, -0.5, likelihood=0.7))))
    assert parsed.camera_time == datetime(2026, 12, 4, 22, 0, 0, 100000, tzinfo=UTC)
    (seen,) = parsed.objects
    assert (seen.id, seen.label, seen.score) == ("7", "person", 0.7)
    assert seen.box.x == pytest.approx(0.25) and seen.box.w == pytest.approx(0.25)
    assert seen.box.y == pytest.approx(0.25) and seen.box.h == pytest.approx(0.5)


@pytest.mark.parametrize("prefix", ["tt", "ns1", ""])
def test_any_namespace_prefix_or_none_reads_the_same(prefix):
    parsed = one_frame(document(frame(human(1, -1, 1, 0, 0)), prefix=prefix))
    assert parsed.objects[0].box.x == pytest.approx(0.0) and parsed.objects[0].box.w == pytest.approx(0.5)


def test_a_transformation_to_pixels_as_the_spec_shows_it_and_as_axis_sends_it_y_down():
    # The spec's example: a 640x480 frame, origin at the lower left, y up.
    spec = '<tt:Transformation><tt:Translate x="-1.0" y="-1.0"/><tt:Scale x="0.003125" y="0.00416667"/>' \
           '</tt:Transformation>'
    box = one_frame(document(frame(human(12, 20, 180, 100, 30), transformation=spec))).objects[0].box
    assert (box.x, box.w) == (pytest.approx(20 / 640), pytest.approx(80 / 640))
    assert (box.y, box.h) == (pytest.approx(1 - 180 / 480, abs=1e-5), pytest.approx(150 / 480, abs=1e-5))
    # Pixels with the origin at the top left: the y scale is negative.
    y_down = '<tt:Transformation><tt:Translate x="-1" y="1"/><tt:Scale x="0.003125" y="-0.00416667"/>' \
             '</tt:Transformation>'
    box = one_frame(document(frame(human(12, 20, 30, 100, 180), transformation=y_down))).objects[0].box
    assert (box.y, box.h) == (pytest.approx(30 / 480, abs=1e-5), pytest.approx(150 / 480, abs=1e-5))


def test_an_objects_own_transformation_modifies_the_frames():
    frame_system = '<tt:Transformation><tt:Translate x="-1" y="-1"/><tt:Scale x="0.5" y="0.5"/></tt:Transformation>'
    # The object's system is centred on (2, 2) of the frame's, in units of one: point (0, 0) is normalised (0, 0).
    own = '<tt:Transformation><tt:Translate x="2" y="2"/></tt:Transformation>'
    box = one_frame(document(frame(human(1, -1, 1, 1, -1, appearance_extra=own),
                                   transformation=frame_system))).objects[0].box
    assert (box.x, box.y, box.w, box.h) == pytest.approx((0.25, 0.25, 0.5, 0.5))


def test_the_classes_of_onvif_before_version_2_and_the_likeliest_of_several():
    old = ('<tt:Object ObjectId="3"><tt:Appearance><tt:Shape><tt:BoundingBox left="0" top="0.5" right="0.5" '
           'bottom="0"/></tt:Shape><tt:Class><tt:ClassCandidate><tt:Type>Vehical</tt:Type>'
           "<tt:Likelihood>0.6</tt:Likelihood></tt:ClassCandidate><tt:ClassCandidate><tt:Type>Human</tt:Type>"
           "<tt:Likelihood>0.3</tt:Likelihood></tt:ClassCandidate></tt:Class></tt:Appearance></tt:Object>")
    seen = one_frame(document(frame(old))).objects[0]
    assert (seen.label, seen.score) == ("car", 0.6)
    several = ('<tt:Object ObjectId="4"><tt:Appearance><tt:Shape><tt:BoundingBox left="0" top="0.5" right="0.5" '
               'bottom="0"/></tt:Shape><tt:Class><tt:Type Likelihood="0.2">Vehicle</tt:Type>'
               '<tt:Type Likelihood="0.7">Face</tt:Type></tt:Class></tt:Appearance></tt:Object>')
    seen = one_frame(document(frame(several))).objects[0]
    assert (seen.label, seen.score) == ("person", 0.7)
    unclassified = ('<tt:Object ObjectId="5"><tt:Appearance><tt:Shape><tt:BoundingBox left="0" top="0.5" '
                    'right="0.5" bottom="0"/></tt:Shape></tt:Appearance></tt:Object>')
    assert one_frame(document(frame(unclassified))).objects[0].label == "unknown"


def test_objects_without_a_visible_shape_are_not_boxes():
    idle = '<tt:Object ObjectId="8"><tt:Behaviour><tt:Idle/></tt:Behaviour></tt:Object>'
    outside = human(9, 1.2, 0.5, 1.5, 0.0)
    parsed = one_frame(document(frame(idle + outside + human(10, -1.5, 1.5, 1.5, -1.5))))
    assert [(o.id, o.box.x, o.box.w) for o in parsed.objects] == [("10", 0.0, 1.0)]


def test_the_object_tree_ends_renames_and_merges_tracks():
    tree = ('<tt:ObjectTree><tt:Delete ObjectId="1"/><tt:Rename><tt:From ObjectId="2"/><tt:To ObjectId="20"/>'
            '</tt:Rename><tt:Merge><tt:From ObjectId="3"/><tt:From ObjectId="4"/><tt:To ObjectId="3"/></tt:Merge>'
            '<tt:Split><tt:From ObjectId="3"/><tt:To ObjectId="5"/></tt:Split></tt:ObjectTree>')
    parsed = one_frame(document(frame(human(3, 0, 0.5, 0.5, 0) + tree)))
    assert parsed.ended == ["1", "4"] and parsed.renamed == [("2", "20")]


def test_tracks_made_from_the_frames_keep_their_number_across_a_rename_and_end_on_delete():
    tracks = SceneTracks()
    first = tracks.update(one_frame(document(frame(human(2, 0, 0.5, 0.2, 0)))), 0.0)
    renamed = ('<tt:ObjectTree><tt:Rename><tt:From ObjectId="2"/><tt:To ObjectId="20"/></tt:Rename>'
               "</tt:ObjectTree>")
    second = tracks.update(one_frame(document(frame(human(20, 0.1, 0.5, 0.3, 0) + renamed))), 0.1)
    assert [t.id for t in first] == [t.id for t in second] and len(second[0].path) == 2
    gone = tracks.update(one_frame(document(frame('<tt:ObjectTree><tt:Delete ObjectId="20"/></tt:ObjectTree>'))),
                         0.2)
    assert gone == []


def test_a_document_may_hold_several_frames_or_none():
    two = document(frame(human(1, 0, 0.5, 0.5, 0)) + frame("", time="2026-12-04T22:00:00.200Z"))
    assert [len(f.objects) for f in parse_metadata_stream(two)] == [1, 0]
    ptz_only = (f'<tt:MetadataStream xmlns:tt="{TT}"><tt:PTZ><tt:PTZStatus/></tt:PTZ></tt:MetadataStream>').encode()
    assert parse_metadata_stream(ptz_only) == []


@pytest.mark.parametrize("bad", [
    b"not xml at all",
    f'<tt:Frame xmlns:tt="{TT}" UtcTime="2026-12-04T22:00:00Z"/>'.encode(),
    document(frame(human(1, 0, 0.5, 0.5, 0), time="yesterday")),
    document('<tt:Frame><tt:Object ObjectId="1"/></tt:Frame>'),
    document(frame(human(1, 0, 0.5, 0.5, 0)).replace('left="0"', 'left="nan"')),
    document(frame(human(1, 0, 0.5, 0.5, 0)).replace('left="0"', 'left="inf"')),
    document(frame(human(1, 0, 0.5, 0.5, 0, likelihood=3))),
    document(frame(human(1, 0, 0.5, 0.5, 0)).replace('ObjectId="1"', 'ObjectId=""')),
    document(frame("<tt:ObjectTree><tt:Rename><tt:From ObjectId=\"1\"/></tt:Rename></tt:ObjectTree>")),
    document(frame("".join(human(i, 0, 0.5, 0.5, 0) for i in range(MAX_OBJECTS + 1)))),
    b"<a>" + b"x" * MAX_DOCUMENT_BYTES + b"</a>",
    # Entity expansion ("billion laughs") is refused by the parser, not expanded.
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    b'<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    b'<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]><a>&h;</a>',
])
def test_what_is_not_a_scene_description_is_refused_with_a_reason(bad):
    with pytest.raises(MalformedMetadata) as refused:
        parse_metadata_stream(bad)
    assert str(refused.value)


def test_documents_are_gathered_from_payloads_cut_anywhere():
    docs = [document(frame(human(i, 0, 0.5, 0.5, 0)), prefix=prefix, declaration=i % 2 == 0)
            for i, prefix in enumerate(["tt", "ns1", "", "tt", "x"])]
    stream = b"".join(docs)
    for seed in range(20):
        rng = random.Random(seed)
        cuts = sorted(rng.sample(range(1, len(stream)), 30))
        gathered = MetadataDocuments()
        out = []
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            out += gathered.add(stream[start:end])
        assert out == docs


def test_a_lost_payload_spoils_one_document_and_the_next_starts_afresh():
    first, second = document(frame(human(1, 0, 0.5, 0.5, 0))), document(frame(human(2, 0, 0.5, 0.5, 0)))
    gathered = MetadataDocuments()
    # The end of the first document is lost: its start and the whole second arrive.
    out = gathered.add(first[: len(first) // 2]) + gathered.add(second)
    assert out == [second] and gathered.dropped == 1, "the lost document is counted, and logged"
    # A payload from the middle of a document is lost: that document will not parse, the next one does.
    out = gathered.add(first[:40] + first[80:]) + gathered.add(second)
    with pytest.raises(MalformedMetadata):
        parse_metadata_stream(out[0])
    assert out[1] == second and parse_metadata_stream(out[1])[0].objects[0].id == "2"


def test_a_stream_that_never_closes_a_document_is_dropped_not_kept():
    gathered = MetadataDocuments()
    chunk = b"<tt:MetadataStream>" + b"x" * 60_000
    for _ in range(MAX_DOCUMENT_BYTES // len(chunk) + 2):
        assert gathered.add(chunk) == []
    # What was gathered went (the pending bytes never exceed the cap), and the next document is whole.
    second = document(frame(human(2, 0, 0.5, 0.5, 0)))
    # Dropped twice: at the cap, and the bytes gathered after it once the next document begins.
    assert gathered.add(second) == [second] and gathered.dropped == 2
