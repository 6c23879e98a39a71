"""ParameterSetWatch on real x264 keyframes (Annex B, as from RTSP): a new size is a new format, garbage is not."""

import random
from pathlib import Path

import av
import pytest

from video.parameter_sets import START_CODE, DamagedParameterSets, ParameterSetWatch, leading_parameter_sets
from video.pattern_clip import make_clip


def annex_b_keyframes(clip: Path) -> tuple[bytes, list[bytes]]:
    """The clip's extradata (avcC) and its keyframes in Annex B, each with SPS and PPS in front."""
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        to_annex_b = av.BitStreamFilterContext("h264_mp4toannexb", video)
        keyframes = [bytes(out) for packet in container.demux(video) if packet.size
                     for out in to_annex_b.filter(packet) if out.is_keyframe]
        return video.codec_context.extradata, keyframes


@pytest.fixture(scope="module")
def keyframes(tmp_path_factory) -> dict[tuple[int, int], list[bytes]]:
    directory = tmp_path_factory.mktemp("clips")
    return {size: annex_b_keyframes(make_clip(directory, width=size[0], height=size[1], seconds=2))[1]
            for size in ((320, 240), (480, 272))}


def test_the_sets_in_front_of_a_keyframe_are_found_once_each(keyframes):
    keyframe = keyframes[320, 240][0]
    sets = leading_parameter_sets("h264", keyframe)
    assert sets.count(START_CODE) == 2 and sets[4] & 0x1F == 7
    assert leading_parameter_sets("h264", sets + sets + keyframe) == sets, "sent twice, they are the same sets"


def test_an_mp4_extradata_or_a_frame_without_sets_has_none(tmp_path, keyframes):
    extradata, _ = annex_b_keyframes(make_clip(tmp_path, width=320, height=240, seconds=1))
    assert leading_parameter_sets("h264", extradata) == b""
    keyframe = keyframes[320, 240][0]
    assert leading_parameter_sets("h264", keyframe[len(leading_parameter_sets("h264", keyframe)) :]) == b""


def test_the_same_sets_are_no_change_and_another_size_is_a_new_format(keyframes):
    first, *rest = keyframes[320, 240]
    watch = ParameterSetWatch("h264", leading_parameter_sets("h264", first))
    assert all(watch.new_format(keyframe) is None for keyframe in rest)
    picture = watch.new_format(keyframes[480, 272][0])
    assert (picture.width, picture.height) == (480, 272)
    assert picture.parameter_sets == leading_parameter_sets("h264", keyframes[480, 272][0])
    assert watch.new_format(keyframes[480, 272][1]) is None


def test_garbage_sets_are_damaged_and_the_good_ones_stay(keyframes):
    good = keyframes[320, 240][0]
    sets = leading_parameter_sets("h264", good)
    watch = ParameterSetWatch("h264", sets)
    rng = random.Random(3)
    # The NAL headers of an SPS and a PPS, then random bytes.
    garbage = b"".join(START_CODE + bytes([kind]) + rng.randbytes(12) for kind in (0x67, 0x68))
    with pytest.raises(DamagedParameterSets):
        watch.new_format(garbage + good[len(sets):])
    assert watch.new_format(good) is None
