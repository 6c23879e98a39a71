"""The parameter sets (SPS and PPS, and VPS for H.265) a camera sends in front of its keyframes, and what they say:
the picture format a recording's init segment must carry. A change means a new picture format (another
resolution) or garbage; decoding the one keyframe that brings them tells which.

Cameras send parameter sets again before every keyframe; comparing their bytes costs next to nothing, so only a
keyframe whose sets differ from the last good ones is decoded.
"""

from dataclasses import dataclass

import av
from av.video.stream import VideoStream

START_CODE = b"\0\0\0\1"
# NAL unit types, per codec: the parameter sets, and the first type that is a picture's slice (VCL).
_PARAMETER_SETS = {"h264": {7, 8}, "hevc": {32, 33, 34}}


@dataclass(frozen=True)
class PictureFormat:
    """What a segment's init segment says of its video: the parameter sets (Annex B) and the picture size."""

    parameter_sets: bytes
    width: int
    height: int


def apply_picture_format(stream: VideoStream, picture: PictureFormat) -> None:
    """Make an output stream made from the camera's (add_stream_from_template) say `picture` instead: its muxer
    takes it into the init segment when the first packet is muxed."""
    codec = stream.codec_context
    codec.extradata = picture.parameter_sets
    codec.width = picture.width
    codec.height = picture.height


class DamagedParameterSets(Exception):
    """A keyframe came with new parameter sets that no picture decodes with: garbage, not a new format."""


def leading_parameter_sets(codec: str, data: bytes) -> bytes:
    """The parameter sets in front of the first slice of Annex B `data` (a frame, or extradata from an SDP),
    each after a four-byte start code; b"" if there are none or `data` is not Annex B (e.g. MP4's avcC)."""
    kinds = _PARAMETER_SETS.get(codec)
    if kinds is None or not (data.startswith(b"\0\0\1") or data.startswith(START_CODE)):
        return b""
    found = []
    start = data.find(b"\0\0\1")
    while start >= 0 and start + 3 < len(data):
        kind = _nal_type(codec, data[start + 3])
        if _is_slice(codec, kind):
            break
        following = data.find(b"\0\0\1", start + 3)
        if kind in kinds:
            nal = data[start + 3 : len(data) if following < 0 else following]
            nal = START_CODE + (nal[:-1] if following >= 0 and nal.endswith(b"\0") else nal)
            if nal not in found:  # some cameras send them twice (encoder and RTP payloader both insert them)
                found.append(nal)
        start = following
    return b"".join(found)


def _nal_type(codec: str, header: int) -> int:
    return header & 0x1F if codec == "h264" else (header >> 1) & 0x3F


def _is_slice(codec: str, kind: int) -> bool:
    return 1 <= kind <= 5 if codec == "h264" else kind <= 31


class ParameterSetWatch:
    """Follows the parameter sets of a camera's keyframes, starting from those of its SDP (the stream's extradata)."""

    def __init__(self, codec: str, extradata: bytes | None) -> None:
        self.codec = codec
        self._sets = leading_parameter_sets(codec, extradata or b"")

    def new_format(self, keyframe: bytes) -> PictureFormat | None:
        """The keyframe's picture format if its parameter sets differ from the last good ones, else None.
        Raises DamagedParameterSets if they differ and the keyframe does not decode with them."""
        sets = leading_parameter_sets(self.codec, keyframe)
        if not sets or sets == self._sets:
            return None
        picture = _decoded_picture(self.codec, sets, keyframe)
        if picture is None:
            raise DamagedParameterSets
        self._sets = sets
        return PictureFormat(sets, picture.width, picture.height)


def _decoded_picture(codec: str, parameter_sets: bytes, keyframe: bytes) -> av.VideoFrame | None:
    decoder = av.CodecContext.create(codec, "r")
    decoder.extradata = parameter_sets
    decoder.thread_count = 1  # the picture comes out of the first packet, with no thread start-up
    # Garbage can still make a picture, concealed: any error in the bitstream is an error here.
    decoder.options = {"err_detect": "crccheck+bitstream+buffer+explode"}
    try:
        frames = decoder.decode(av.Packet(keyframe)) + decoder.decode(None)
    except av.FFmpegError:
        return None
    return frames[0] if frames and not frames[0].is_corrupt else None
