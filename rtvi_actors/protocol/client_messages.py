"""Client → server RTVI messages (RTVI 2.2.0 as Pipecat 1.14 accepts them).

Each class is the *payload* of one wire ``type`` (the class variable ``TYPE``); the envelope
(``label``, ``id``) is added by `rtvi_actors.protocol.codec`. Field names are the wire names,
except where `wire_field` renames them (the camelCase keys of ``raw-audio``).
"""

import base64
import binascii
from typing import Any, ClassVar, Final, Literal, final

import attrs

from rtvi_actors.protocol._fields import EMPTY, FIELDS, DataMode, wire_field
from rtvi_actors.protocol.converter import JsonObject

__all__ = [
    "DTMF_KEYS",
    "AppendToContext",
    "ClientAbout",
    "ClientMessage",
    "ClientReady",
    "DisconnectBot",
    "Dtmf",
    "FileSourceBytes",
    "FileSourceUrl",
    "FunctionResult",
    "LlmFunctionCallResult",
    "RawAudio",
    "RawAudioBatch",
    "RtviFile",
    "SendFile",
    "SendFileOptions",
    "SendText",
    "SendTextOptions",
    "decode_file_bytes",
]

DTMF_KEYS: Final = frozenset("0123456789*#")
"""The keys `dtmf` accepts."""

FunctionResult = JsonObject | str
"""``llm-function-call-result.result``: an object or a string (not a number/list/null)."""


def _positive(_: object, attribute: attrs.Attribute, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@final
@attrs.frozen(kw_only=True)
class ClientAbout:
    """``client-ready.data.about``: who the client is."""

    library: str
    library_version: str | None = None
    platform: str | None = None
    platform_version: str | None = None
    platform_details: Any = None


@final
@attrs.frozen(kw_only=True)
class ClientReady:
    """``client-ready``: the handshake request. Never rejected; see `versions.negotiate`.

    ``version`` is ``None`` when absent or not a string (legacy 0.x clients send ``{}``).
    An invalid ``about`` decodes as ``ClientAbout(library="unknown")``, as in Pipecat.
    """

    TYPE: ClassVar[str] = "client-ready"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    version: str | None = None
    about: ClientAbout | None = None


@final
@attrs.frozen(kw_only=True)
class DisconnectBot:
    """``disconnect-bot``: end the session gracefully (flush output, then close)."""

    TYPE: ClassVar[str] = "disconnect-bot"
    DATA_MODE: ClassVar[DataMode] = EMPTY


@final
@attrs.frozen(kw_only=True)
class ClientMessage:
    """``client-message``: an app-defined request; the app answers with ``server-response``."""

    TYPE: ClassVar[str] = "client-message"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    t: str
    d: Any = None


@final
@attrs.frozen(kw_only=True)
class SendTextOptions:
    """``send-text.data.options``; ``None`` means "not sent" (Pipecat's default is true)."""

    run_immediately: bool | None = None
    audio_response: bool | None = None


@final
@attrs.frozen(kw_only=True)
class SendText:
    """``send-text``: typed user text appended to the LLM context."""

    TYPE: ClassVar[str] = "send-text"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    content: str
    options: SendTextOptions | None = None

    @property
    def run_immediately(self) -> bool:
        """Return ``options.run_immediately`` with Pipecat's default (true)."""
        return self.options is None or self.options.run_immediately is not False

    @property
    def audio_response(self) -> bool:
        """Return ``options.audio_response`` with Pipecat's default (true)."""
        return self.options is None or self.options.audio_response is not False


@final
@attrs.frozen(kw_only=True)
class FileSourceBytes:
    """An inline file: ``data`` is base64 text, optionally a full ``data:…;base64,`` URL."""

    type: Literal["bytes", "url"] = "bytes"
    data: str = wire_field("bytes")
    width: int | None = None
    height: int | None = None


@final
@attrs.frozen(kw_only=True)
class FileSourceUrl:
    """A file by reference (``pipecat:<id>``, ``s3://``, ``gs://``, ``http(s)://``)."""

    type: Literal["bytes", "url"] = "url"
    url: str


@final
@attrs.frozen(kw_only=True)
class RtviFile:
    """``send-file.data.file``. The source variant is chosen by which key is present."""

    format: str
    source: FileSourceBytes | FileSourceUrl
    name: str | None = None


@final
@attrs.frozen(kw_only=True)
class SendFileOptions:
    """``send-file.data.options``; ``None`` means "not sent" (Pipecat's default is true)."""

    run_immediately: bool | None = None
    audio_response: bool | None = None
    custom_options: JsonObject | None = None


@final
@attrs.frozen(kw_only=True)
class SendFile:
    """``send-file`` (2.2.0): a file or image plus text, appended to the LLM context. No ack."""

    TYPE: ClassVar[str] = "send-file"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    content: str
    file: RtviFile
    options: SendFileOptions | None = None

    @property
    def run_immediately(self) -> bool:
        """Return ``options.run_immediately`` with Pipecat's default (true)."""
        return self.options is None or self.options.run_immediately is not False

    @property
    def audio_response(self) -> bool:
        """Return ``options.audio_response`` with Pipecat's default (true)."""
        return self.options is None or self.options.audio_response is not False


def decode_file_bytes(source: FileSourceBytes) -> bytes:
    """Decode an inline file's base64 text, accepting a ``data:…;base64,`` prefix.

    Args:
        source: The inline source of a ``send-file``.

    Returns:
        The raw file bytes.

    Raises:
        ValueError: The text is not valid base64.
    """
    text = source.data
    if text.startswith("data:"):
        _, sep, text = text.partition(",")
        if not sep:
            raise ValueError("data URL without a comma")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64: {exc}") from None


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCallResult:
    """``llm-function-call-result``: the result of a client-executed tool."""

    TYPE: ClassVar[str] = "llm-function-call-result"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    function_name: str
    tool_call_id: str
    arguments: JsonObject
    result: FunctionResult


def _dtmf_buttons(_: object, __: attrs.Attribute, value: tuple[str, ...]) -> None:
    if not value:
        raise ValueError("buttons must hold at least one key")
    bad = [key for key in value if key not in DTMF_KEYS]
    if bad:
        raise ValueError(f"invalid DTMF key {bad[0]!r:.20}")


@final
@attrs.frozen(kw_only=True)
class Dtmf:
    """``dtmf`` (2.1.0+): keypad presses, in order. The 2.0 ``{button}`` form is rejected."""

    TYPE: ClassVar[str] = "dtmf"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    buttons: tuple[str, ...] = attrs.field(validator=_dtmf_buttons)


@final
@attrs.frozen(kw_only=True)
class RawAudio:
    """``raw-audio``: one PCM16 chunk as base64 JSON (eval harness and other SDKs)."""

    TYPE: ClassVar[str] = "raw-audio"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    audio: bytes = wire_field("base64Audio", repr=lambda b: f"<{len(b)} bytes>")
    sample_rate: int = wire_field("sampleRate", validator=_positive)
    num_channels: int = wire_field("numChannels", validator=_positive)


@final
@attrs.frozen(kw_only=True)
class RawAudioBatch:
    """``raw-audio-batch``: several PCM16 chunks as base64 JSON."""

    TYPE: ClassVar[str] = "raw-audio-batch"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    audio: tuple[bytes, ...] = wire_field("base64AudioBatch", repr=lambda b: f"<{len(b)} chunks>")
    sample_rate: int = wire_field("sampleRate", validator=_positive)
    num_channels: int = wire_field("numChannels", validator=_positive)


@final
@attrs.frozen(kw_only=True)
class AppendToContext:
    """``append-to-context`` (deprecated; client-js still sends it). Pipecat ≥ 1.0 rejects it."""

    TYPE: ClassVar[str] = "append-to-context"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    role: str
    content: Any
    run_immediately: bool = False


def structure_client_ready(value: object, _: type) -> ClientReady:
    """Structure ``client-ready`` data tolerantly, the way Pipecat does (never fails).

    Args:
        value: The envelope's ``data`` (any JSON value or ``None``).

    Returns:
        The decoded request; odd values degrade to ``None`` / an unknown library.
    """
    if not isinstance(value, dict):
        return ClientReady()
    version = value.get("version")
    about_raw = value.get("about")
    about: ClientAbout | None = None
    if about_raw is not None:
        about = _structure_about(about_raw)
    return ClientReady(version=version if isinstance(version, str) else None, about=about)


def _structure_about(value: object) -> ClientAbout:
    unknown = ClientAbout(library="unknown")
    if not isinstance(value, dict) or not isinstance(value.get("library"), str):
        return unknown
    optional = {}
    for key in ("library_version", "platform", "platform_version"):
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            return unknown
        optional[key] = item
    return ClientAbout(
        library=value["library"], platform_details=value.get("platform_details"), **optional
    )


def structure_file_source(value: object, _: type) -> FileSourceBytes | FileSourceUrl:
    """Pick the ``send-file`` source variant by which key is present (``bytes`` wins).

    Args:
        value: The raw ``file.source`` JSON value.

    Returns:
        The structured source.

    Raises:
        TypeError: Not an object.
        ValueError: Neither ``bytes`` nor ``url``, or a bad ``type``/field.
    """
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    kind = value.get("type")
    if kind not in ("bytes", "url"):
        raise ValueError("source.type must be 'bytes' or 'url'")
    if "bytes" in value:
        data, width, height = value["bytes"], value.get("width"), value.get("height")
        if not isinstance(data, str):
            raise TypeError("source.bytes must be a string")
        for dim in (width, height):
            if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
                raise TypeError("source.width/height must be integers")
        return FileSourceBytes(type=kind, data=data, width=width, height=height)
    if "url" in value:
        if not isinstance(value["url"], str):
            raise TypeError("source.url must be a string")
        return FileSourceUrl(type=kind, url=value["url"])
    raise ValueError("source needs 'bytes' or 'url'")


def structure_function_result(value: object, _: type) -> FunctionResult:
    """Accept an object or a string as a function result, like Pipecat's validator.

    Args:
        value: The raw ``result`` JSON value.

    Returns:
        The value unchanged.

    Raises:
        TypeError: A number, list, boolean or null.
    """
    if isinstance(value, dict | str):
        return value
    raise TypeError(f"result must be an object or a string, got {type(value).__name__}")
