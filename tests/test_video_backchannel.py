"""The ONVIF audio back channel client (video/backchannel.py): which media of a camera's SDP is its speaker and what
it takes, and sound sent over UDP as well as interleaved in the RTSP connection, to the stand-in camera with a
speaker (GStreamer's ONVIF RTSP server), with Basic or Digest authentication; a wrong password is told in words."""

from __future__ import annotations

import asyncio

import pytest

from tests.audio_checks import dominant_frequency, tone
from video import backchannel
from video.backchannel import BackChannel, BackChannelError, parse_back_channel

pytest_plugins = ["tests.standins.fixtures"]
BASE = "rtsp://10.0.0.5:554/stream"
VIDEO = "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:stream=0\r\n"


def sdp(*medias: str) -> str:
    return "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=Camera\r\nt=0 0\r\na=control:*\r\n" + "".join(medias)


def test_the_speaker_is_the_sendonly_audio_and_mu_law_is_preferred():
    offer = sdp(VIDEO, "m=audio 0 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
                       "a=control:stream=1\r\na=sendonly\r\n")
    assert parse_back_channel(offer, BASE) == BackChannel("PCMU", 0, 8000, BASE + "/stream=1")


def test_a_camera_taking_only_a_law_gets_a_law_and_static_payloads_need_no_rtpmap():
    offer = sdp(VIDEO, "m=audio 0 RTP/AVP 8\r\na=control:rtsp://10.0.0.5:554/back\r\na=sendonly\r\n")
    assert parse_back_channel(offer, BASE) == BackChannel("PCMA", 8, 8000, "rtsp://10.0.0.5:554/back")


def test_the_camera_microphone_is_not_a_speaker():
    offer = sdp(VIDEO, "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:stream=1\r\na=recvonly\r\n")
    assert parse_back_channel(offer, BASE) is None


def test_a_speaker_taking_neither_g711_is_named_in_words():
    offer = sdp("m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000\r\na=sendonly\r\n")
    with pytest.raises(BackChannelError, match="takes only MPEG4-GENERIC") as raised:
        parse_back_channel(offer, BASE)
    assert raised.value.reason == "unsupported_codec"


@pytest.mark.parametrize("offer", ["m=\r\na=sendonly\r\n", "m=audio 0 RTP/AVP x 0\r\na=sendonly\r\n",
                                   "garbage\r\nm=audio\r\n", ""])
def test_a_garbled_sdp_is_read_without_crashing(offer):
    channel = parse_back_channel(sdp(offer), BASE)
    assert channel is None or channel.codec == "PCMU"


@pytest.mark.parametrize("digest", [False, True])
def test_sound_reaches_the_speaker_over_udp(speaker_camera, digest):
    speaker = speaker_camera(user="cam", password="pw-1", digest=digest)

    async def talk() -> None:
        channel = await backchannel.open_talk(speaker.url, "cam", "pw-1", transport="udp")
        pcm = tone(900, 1.0, 16000)
        for offset in range(0, len(pcm), 640):
            await channel.send(pcm[offset:offset + 640], 16000)
            await asyncio.sleep(0.02)
        await channel.close()

    asyncio.run(talk())
    assert abs(dominant_frequency(speaker.heard(), speaker.RATE) - 900) <= 10


def test_a_wrong_password_is_told_in_words(speaker_camera):
    speaker = speaker_camera(user="cam", password="right", digest=True)
    with pytest.raises(BackChannelError, match="rejected the user name or password") as raised:
        asyncio.run(backchannel.describe(speaker.url, "cam", "wrong"))
    assert raised.value.reason == "unauthorized"
