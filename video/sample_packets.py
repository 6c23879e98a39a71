"""A repaired Sample as the packet PyAV's muxers take, without copying the frame's bytes when it can."""

from fractions import Fraction

import av

from video.timestamps import Sample


def sample_packet(sample: Sample, stream: av.stream.Stream, time_base: Fraction, origin: int) -> av.Packet:
    """The sample as a packet of `stream`, its timestamps (in `time_base`) counted from `origin`.

    A sample that still holds the camera's packet (see Sample.data) is muxed as that packet: PyAV's mux takes a new
    reference to its bytes, so the same packet goes into the segment and the live fragments without a copy (it was
    three copies of every frame). Its timestamps are set anew for each muxer."""
    packet = sample.data if isinstance(sample.data, av.Packet) else av.Packet(sample.data)
    packet.dts = sample.dts - origin
    packet.pts = sample.pts - origin
    packet.duration = sample.duration
    packet.time_base = time_base
    packet.is_keyframe = sample.is_keyframe
    packet.stream = stream
    return packet
