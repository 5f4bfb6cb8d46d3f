"""Protobuf and JSON-text framing: exact bytes, round trips, and only WireError on garbage."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtvi_actors.protocol import (
    AudioFrame,
    InterruptionFrame,
    LocalProtocolError,
    RtviText,
    TextFrame,
    TranscriptionFrame,
    WireError,
    parse,
    parse_json_framing,
    serialize,
    serialize_json_framing,
)

u64 = st.integers(0, 2**64 - 1)
names = st.text(max_size=10)
pcm_frames = st.integers(1, 4).flatmap(
    lambda ch: st.builds(
        AudioFrame,
        sample_rate=st.integers(1, 2**32 - 1),
        num_channels=st.just(ch),
        audio=st.binary(max_size=64).map(lambda b: b[: len(b) - len(b) % (2 * ch)]),
        id=u64,
        name=names,
        pts=st.none() | u64,
    )
)
frames = (
    pcm_frames
    | st.builds(RtviText, data=st.text(max_size=50))
    | st.builds(TextFrame, text=st.text(max_size=20), id=u64, name=names)
    | st.builds(
        TranscriptionFrame,
        text=st.text(max_size=20),
        user_id=names,
        timestamp=names,
        id=u64,
        name=names,
    )
    | st.builds(InterruptionFrame, id=u64, name=names)
)


@settings(max_examples=300, deadline=None)
@given(frame=frames)
def test_parse_serialize_round_trip(frame: object) -> None:
    try:
        payload = serialize(frame)
    except LocalProtocolError:
        return  # lone surrogates cannot be UTF-8 encoded: our bug to report, not the peer's
    assert parse(payload) == frame


@settings(max_examples=1000, deadline=None)
@given(payload=st.binary(max_size=200))
def test_parse_random_bytes_only_raises_wire_error(payload: bytes) -> None:
    try:
        parse(payload)
    except WireError:
        pass


@settings(max_examples=300, deadline=None)
@given(frame=pcm_frames, cut=st.integers(1, 40))
def test_truncated_frames_raise_wire_error_or_parse(frame: AudioFrame, cut: int) -> None:
    payload = serialize(frame)
    try:
        parse(payload[: max(0, len(payload) - cut)])
    except WireError:
        pass


def test_message_frame_bytes_match_the_hand_encoding() -> None:
    assert serialize(RtviText(data="{}")) == b'"\x04\n\x02{}'
    assert parse(b'"\x04\n\x02{}') == RtviText(data="{}")


def test_client_audio_frame_from_the_official_client() -> None:
    # Frame.audio{name:"audio", audio:4 bytes, sample_rate:16000, num_channels:1}
    inner = b"\x12\x05audio" + b"\x1a\x04\x01\x00\x02\x00" + b"\x20\x80\x7d" + b"\x28\x01"
    payload = b"\x12" + bytes([len(inner)]) + inner
    assert parse(payload) == AudioFrame(
        sample_rate=16000, num_channels=1, audio=b"\x01\x00\x02\x00", name="audio"
    )


@pytest.mark.parametrize(
    "payload",
    [
        "a text frame",
        b"",  # empty oneof
        b"\x22\x05\x0a",  # truncated
        b"\x22\x03\x0a\x01\xff",  # bad UTF-8 in MessageFrame.data
        b"\x12\x03\x1a\x01\x00",  # odd PCM16 byte count, no sample rate
        b"\x12\x04\x1a\x02\x00\x00",  # audio without sample_rate / num_channels
        b"\x32\x00",  # unknown oneof field 6 only
        b"\xff\xff\xff\xff",
    ],
)
def test_malformed_payloads_raise_wire_error(payload: bytes | str) -> None:
    with pytest.raises(WireError):
        parse(payload)


def test_json_text_framing() -> None:
    assert parse_json_framing('{"a":1}') == RtviText(data='{"a":1}')
    audio = parse_json_framing(b"\x00\x01\x02\x03")
    assert audio == AudioFrame(sample_rate=16000, num_channels=1, audio=b"\x00\x01\x02\x03")
    assert serialize_json_framing(RtviText(data="{}")) == "{}"
    assert serialize_json_framing(audio) == b"\x00\x01\x02\x03"
    with pytest.raises(WireError):
        parse_json_framing(b"\x00")
    with pytest.raises(LocalProtocolError):
        serialize_json_framing(InterruptionFrame())  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(frame=pcm_frames | st.builds(RtviText, data=st.text(max_size=300)))
def test_hand_encoded_frames_are_byte_identical_to_protobuf(frame: AudioFrame | RtviText) -> None:
    from rtvi_actors.protocol import frames_pb2, wire

    try:
        expected = wire._to_proto(frame).SerializeToString()
    except (ValueError, UnicodeError):
        with pytest.raises(LocalProtocolError):
            serialize(frame)
        return
    assert serialize(frame) == expected
    if isinstance(frame, RtviText):
        assert wire.message_frame(frame.data) == expected
        assert frames_pb2.Frame.FromString(expected).message.data == frame.data


def test_hand_encoded_lengths_cross_varint_boundaries() -> None:
    from rtvi_actors.protocol import wire

    for n in (0, 1, 125, 126, 127, 128, 129, 16379, 16380, 16381, 16383, 16384, 70000):
        text = RtviText(data="x" * n)
        assert serialize(text) == wire._to_proto(text).SerializeToString()
        audio = AudioFrame(sample_rate=24000, num_channels=1, audio=b"\0\1" * n, pts=n)
        assert serialize(audio) == wire._to_proto(audio).SerializeToString()
