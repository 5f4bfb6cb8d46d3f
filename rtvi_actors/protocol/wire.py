"""WebSocket payload framing, pure: bytes/str in, frames out, and back.

Two framings:

- **Protobuf** (`parse` / `serialize`): what ``@pipecat-ai/websocket-transport`` speaks by
  default. Every WebSocket message is one *binary* ``pipecat.Frame`` (``frames.proto`` in this
  package): ``oneof {text=1, audio=2, transcription=3, message=4, interruption=5}``. RTVI JSON
  travels as text in ``MessageFrame.data``; audio is PCM16 little-endian in ``AudioRawFrame``
  (the client records 16 kHz mono and plays 24 kHz mono, ignoring ``sample_rate``). The
  official client cannot decode ``interruption`` (field 5); do not send it to that client.
- **JSON text** (`parse_json_framing` / `serialize_json_framing`) for simple clients: a
  *text* WebSocket message is one RTVI JSON message; a *binary* message is raw PCM16 audio
  whose rate and channel count are agreed out of band (defaults 16 kHz in, 24 kHz out, mono).

Anything malformed raises `WireError` and nothing else. ``frames_pb2.py`` is generated
ahead of time, from the repository root, with::

    python -m grpc_tools.protoc -I. --python_out=. rtvi_actors/protocol/frames.proto

using ``grpcio-tools==1.63.0`` (protoc 26.1, gencode 5.26.1, which carries no runtime
version check and loads with protobuf 5.26 … 7.x). Only the ``protobuf`` runtime is needed.
"""

from typing import Final, TypeAlias, final

import attrs
from google.protobuf.message import DecodeError, EncodeError

from rtvi_actors.protocol import frames_pb2
from rtvi_actors.protocol.errors import LocalProtocolError, WireError

__all__ = [
    "CLIENT_INPUT_SAMPLE_RATE",
    "CLIENT_PLAYER_SAMPLE_RATE",
    "AudioFrame",
    "InterruptionFrame",
    "RtviText",
    "TextFrame",
    "TranscriptionFrame",
    "WireFrame",
    "message_frame",
    "message_frame_bytes",
    "parse",
    "parse_json_framing",
    "serialize",
    "serialize_json_framing",
]

CLIENT_INPUT_SAMPLE_RATE: Final = 16000
"""The official client's recorder rate."""
CLIENT_PLAYER_SAMPLE_RATE: Final = 24000
"""The official client's player rate; server audio must be sent at this rate."""

_MAX_UINT64: Final = 2**64 - 1
_MAX_UINT32: Final = 2**32 - 1


def _check_audio(frame: "AudioFrame", _: attrs.Attribute, audio: bytes) -> None:
    if len(audio) % (2 * frame.num_channels):
        raise ValueError("PCM16 audio must hold whole samples for every channel")


def _positive_u32(_: object, attribute: attrs.Attribute, value: int) -> None:
    if not 0 < value <= _MAX_UINT32:
        raise ValueError(f"{attribute.name} must be in 1..2**32-1, got {value}")


def _u64(_: object, attribute: attrs.Attribute, value: int | None) -> None:
    if value is not None and not 0 <= value <= _MAX_UINT64:
        raise ValueError(f"{attribute.name} must be a uint64, got {value}")


@final
@attrs.frozen(kw_only=True)
class AudioFrame:
    """PCM16 little-endian audio (``Frame.audio``)."""

    sample_rate: int = attrs.field(validator=_positive_u32)
    num_channels: int = attrs.field(validator=_positive_u32)
    audio: bytes = attrs.field(validator=_check_audio, repr=lambda b: f"<{len(b)} bytes>")
    id: int = attrs.field(default=0, validator=_u64)
    name: str = ""
    pts: int | None = attrs.field(default=None, validator=_u64)


@final
@attrs.frozen(kw_only=True)
class RtviText:
    """One RTVI JSON message as text (``Frame.message.data``, or a text WebSocket frame)."""

    data: str


@final
@attrs.frozen(kw_only=True)
class TextFrame:
    """``Frame.text``: plain text (not RTVI; Pipecat serializes ``TextFrame`` this way)."""

    text: str
    id: int = attrs.field(default=0, validator=_u64)
    name: str = ""


@final
@attrs.frozen(kw_only=True)
class TranscriptionFrame:
    """``Frame.transcription``: a transcript outside RTVI."""

    text: str
    user_id: str = ""
    timestamp: str = ""
    id: int = attrs.field(default=0, validator=_u64)
    name: str = ""


@final
@attrs.frozen(kw_only=True)
class InterruptionFrame:
    """``Frame.interruption`` (field 5): server proto only; the official client rejects it."""

    id: int = attrs.field(default=0, validator=_u64)
    name: str = ""


WireFrame: TypeAlias = AudioFrame | RtviText | TextFrame | TranscriptionFrame | InterruptionFrame
"""Anything a protobuf WebSocket message can carry."""


def _from_proto(frame: frames_pb2.Frame) -> WireFrame:
    kind = frame.WhichOneof("frame")
    if kind == "message":
        return RtviText(data=frame.message.data)
    if kind == "audio":
        a = frame.audio
        return AudioFrame(
            sample_rate=a.sample_rate,
            num_channels=a.num_channels,
            audio=a.audio,
            id=a.id,
            name=a.name,
            pts=a.pts if a.HasField("pts") else None,
        )
    if kind == "text":
        return TextFrame(text=frame.text.text, id=frame.text.id, name=frame.text.name)
    if kind == "transcription":
        t = frame.transcription
        return TranscriptionFrame(
            text=t.text, user_id=t.user_id, timestamp=t.timestamp, id=t.id, name=t.name
        )
    if kind == "interruption":
        return InterruptionFrame(id=frame.interruption.id, name=frame.interruption.name)
    raise WireError("protobuf Frame with no known frame kind")


def parse(payload: bytes | str) -> WireFrame:
    """Parse one binary WebSocket message of the protobuf framing.

    Args:
        payload: The WebSocket message; ``str`` means a text frame, which is an error here.

    Returns:
        The frame it carries.

    Raises:
        WireError: A text frame, malformed protobuf, an empty or unknown oneof, or audio that
            is not whole PCM16 samples / has no sample rate or channel count.
    """
    if isinstance(payload, str):
        raise WireError("text WebSocket frame where a binary protobuf Frame was expected")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise WireError(f"unsupported payload type {type(payload).__name__}")
    try:
        frame = frames_pb2.Frame.FromString(bytes(payload))
    except (DecodeError, ValueError, RuntimeError, TypeError) as exc:
        raise WireError(f"malformed protobuf Frame: {exc}") from None
    try:
        return _from_proto(frame)
    except WireError:
        raise
    except (ValueError, TypeError) as exc:
        raise WireError(f"invalid frame: {exc}") from None


def _to_proto(frame: WireFrame) -> frames_pb2.Frame:
    if isinstance(frame, RtviText):
        return frames_pb2.Frame(message=frames_pb2.MessageFrame(data=frame.data))
    if isinstance(frame, AudioFrame):
        audio = frames_pb2.AudioRawFrame(
            id=frame.id,
            name=frame.name,
            audio=frame.audio,
            sample_rate=frame.sample_rate,
            num_channels=frame.num_channels,
        )
        if frame.pts is not None:
            audio.pts = frame.pts
        return frames_pb2.Frame(audio=audio)
    if isinstance(frame, TextFrame):
        text = frames_pb2.TextFrame(id=frame.id, name=frame.name, text=frame.text)
        return frames_pb2.Frame(text=text)
    if isinstance(frame, TranscriptionFrame):
        transcription = frames_pb2.TranscriptionFrame(
            id=frame.id,
            name=frame.name,
            text=frame.text,
            user_id=frame.user_id,
            timestamp=frame.timestamp,
        )
        return frames_pb2.Frame(transcription=transcription)
    if isinstance(frame, InterruptionFrame):
        interruption = frames_pb2.InterruptionFrame(id=frame.id, name=frame.name)
        return frames_pb2.Frame(interruption=interruption)
    raise LocalProtocolError(f"cannot serialize {type(frame).__name__}")


def serialize(frame: WireFrame) -> bytes:
    """Serialize a frame as one binary protobuf WebSocket message.

    Args:
        frame: The frame to send.

    Returns:
        The protobuf bytes.

    Raises:
        LocalProtocolError: Not a wire frame, or text that is not valid Unicode.
    """
    try:
        # the two frames of every session, encoded by hand (byte-identical to protobuf's
        # output, tested); the rare ones go through the generated classes
        if type(frame) is RtviText:
            return message_frame(frame.data)
        if type(frame) is AudioFrame:
            return _audio_frame(frame)
        return _to_proto(frame).SerializeToString()
    except (EncodeError, ValueError, TypeError, UnicodeError) as exc:
        raise LocalProtocolError(f"cannot serialize {type(frame).__name__}: {exc}") from exc


def message_frame(text: str) -> bytes:
    """The protobuf ``Frame`` carrying one RTVI JSON text (``Frame.message.data``).

    The same bytes as ``serialize(RtviText(data=text))``, without building the frame object.

    Raises:
        UnicodeEncodeError: ``text`` is not valid Unicode (lone surrogates).
    """
    return message_frame_bytes(text.encode("utf-8"))


def message_frame_bytes(data: bytes) -> bytes:
    """Like :func:`message_frame` for JSON text already encoded as UTF-8."""
    n = len(data)
    if n < 0x7E:  # both lengths fit in one byte: the header in one go
        return bytes((0x22, n + 2, 0x0A, n)) + data if n else b"\x22\x00"
    if 0x80 <= n < 0x3FFD:  # both in two bytes (most RTVI messages)
        m = n + 3
        return bytes((0x22, (m & 0x7F) | 0x80, m >> 7, 0x0A, (n & 0x7F) | 0x80, n >> 7)) + data
    inner = _varint(n)
    return b"".join((b"\x22", _varint(n + 1 + len(inner)), b"\x0a", inner, data))


def _audio_frame(frame: AudioFrame) -> bytes:
    parts = []
    if frame.id:
        parts.append(b"\x08" + _varint(frame.id))
    if frame.name:
        name = frame.name.encode("utf-8")
        parts.append(b"\x12" + _varint(len(name)) + name)
    if frame.audio:
        parts.append(b"\x1a" + _varint(len(frame.audio)) + bytes(frame.audio))
    parts.append(b"\x20" + _varint(frame.sample_rate))
    parts.append(b"\x28" + _varint(frame.num_channels))
    if frame.pts is not None:
        parts.append(b"\x30" + _varint(frame.pts))
    inner = b"".join(parts)
    return b"\x12" + _varint(len(inner)) + inner


def _varint(n: int) -> bytes:
    if n < 0x80:
        return _SMALL[n]
    if n < 0x4000:
        return bytes(((n & 0x7F) | 0x80, n >> 7))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL: Final = tuple(bytes((i,)) for i in range(0x80))


def parse_json_framing(
    payload: bytes | str,
    *,
    sample_rate: int = CLIENT_INPUT_SAMPLE_RATE,
    num_channels: int = 1,
) -> AudioFrame | RtviText:
    """Parse one WebSocket message of the JSON-text framing.

    Args:
        payload: ``str`` (a text frame: RTVI JSON) or ``bytes`` (a binary frame: raw PCM16).
        sample_rate: The agreed input sample rate for binary frames.
        num_channels: The agreed channel count for binary frames.

    Returns:
        `RtviText` for text frames (JSON is not parsed here), `AudioFrame` for binary frames.

    Raises:
        WireError: Binary audio that is not whole PCM16 samples.
    """
    if isinstance(payload, str):
        return RtviText(data=payload)
    try:
        return AudioFrame(sample_rate=sample_rate, num_channels=num_channels, audio=bytes(payload))
    except (ValueError, TypeError) as exc:
        raise WireError(f"invalid PCM16 audio frame: {exc}") from None


def serialize_json_framing(frame: AudioFrame | RtviText) -> bytes | str:
    """Serialize for the JSON-text framing: text for RTVI JSON, raw bytes for audio.

    Args:
        frame: An `RtviText` or an `AudioFrame` (its rate must match what the client expects).

    Returns:
        ``str`` to send as a text frame, or ``bytes`` to send as a binary frame.

    Raises:
        LocalProtocolError: Any other frame kind (this framing carries only these two).
    """
    if isinstance(frame, RtviText):
        return frame.data
    if isinstance(frame, AudioFrame):
        return frame.audio
    raise LocalProtocolError(f"the JSON-text framing cannot carry {type(frame).__name__}")
