"""Decode client JSON into message classes and encode server messages, never raising on garbage.

The envelope is ``{"label": "rtvi-ai", "type": ..., "id": ..., "data": ...}``.

Decoding outcomes:

- `ClientEnvelope`: a valid message with its request id.
- `Ignored`: not RTVI at all (not an object, or ``label`` is not ``"rtvi-ai"``); no reply.
- `Invalid` with ``id=None``: the envelope is unusable (bad JSON, id missing or not a string);
  answer with ``error`` (``fatal: false``).
- `Invalid` with an id: a bad envelope field, an unknown ``type`` ("Unsupported type X") or a
  bad payload ("Invalid message: ..."); answer with ``error-response`` carrying that id.

`Invalid.reply` builds that answer. The converter is private to this module and built by
`converter.make_converter`; cattrs' ``ClassValidationError`` (an ``ExceptionGroup``) and
every other structuring failure become `Invalid` here.
"""

import enum
import json
from collections.abc import Mapping
from typing import Any, Final, final

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

from rtvi_actors.protocol import client_messages as c
from rtvi_actors.protocol import ui
from rtvi_actors.protocol._fields import EMPTY, OMIT, RAW
from rtvi_actors.protocol.catalog import (
    CLIENT_TYPES,
    SERVER_TYPES,
    ClientToServer,
    ServerToClient,
)
from rtvi_actors.protocol.converter import make_converter
from rtvi_actors.protocol.envelopes import LABEL, make_encoder
from rtvi_actors.protocol.errors import LocalProtocolError
from rtvi_actors.protocol.server_messages import Error, ErrorResponse
from rtvi_actors.protocol.text_messages import BotOutput

__all__ = [
    "LABEL",
    "ClientEnvelope",
    "Decoded",
    "Ignored",
    "Invalid",
    "InvalidKind",
    "ServerEnvelope",
    "decode",
    "decode_server",
    "decode_text",
    "encode",
    "encode_text",
    "parse_json",
]


_MAX_REASON: Final = 400
_MAX_TYPE: Final = 64


@final
@attrs.frozen(kw_only=True)
class ClientEnvelope:
    """A valid client message and the request id it came with."""

    id: str
    message: ClientToServer


@final
@attrs.frozen(kw_only=True)
class ServerEnvelope:
    """A server message as decoded by `decode_server` (for tests and Python clients)."""

    message: ServerToClient
    id: str | None = None


class InvalidKind(enum.Enum):
    """Why a payload was rejected."""

    JSON = "json"
    ENVELOPE = "envelope"
    UNSUPPORTED_TYPE = "unsupported-type"
    PAYLOAD = "payload"


@final
@attrs.frozen(kw_only=True)
class Invalid:
    """A rejected message. ``id`` is the request id when one could be read."""

    kind: InvalidKind
    reason: str
    id: str | None = None
    type: str | None = None

    def reply(self) -> tuple[Error | ErrorResponse, str | None]:
        """Return the server message that answers this failure and its envelope id.

        Returns:
            ``(ErrorResponse, id)`` when the request id is known, else ``(Error, None)``.
        """
        if self.id is None:
            return Error(error=self.reason, fatal=False), None
        return ErrorResponse(error=self.reason), self.id


@final
@attrs.frozen(kw_only=True)
class Ignored:
    """Not an RTVI message (no reply is due)."""

    reason: str


Decoded = ClientEnvelope | Invalid | Ignored
"""The result of `decode`."""


def _structure_job_group(value: object, _: type) -> ui.JobGroupEvent:
    if not isinstance(value, dict) or value.get("kind") not in ui.JOB_GROUP_KINDS:
        raise ValueError("ui-job-group data needs a known 'kind'")
    return _CONVERTER.structure(value, ui.JOB_GROUP_KINDS[value["kind"]])


_OUTPUT_TYPE_KEYS: Final = ("output_type", "text_type", "aggregated_by")


def _structure_bot_output(value: object, _: type) -> BotOutput:
    # Like Pipecat's pre-validator: a 2.1 message has only ``aggregated_by``.
    if isinstance(value, dict) and "output_type" not in value:
        given = next((value[k] for k in _OUTPUT_TYPE_KEYS if value.get(k) is not None), None)
        if given is not None:
            value = {**value, "output_type": given}
    return _BOT_OUTPUT(value, BotOutput)


_CONVERTER: Final = make_converter(
    {
        BotOutput: _structure_bot_output,
        c.ClientReady: c.structure_client_ready,
        c.FunctionResult: c.structure_function_result,
        c.FileSourceBytes | c.FileSourceUrl: c.structure_file_source,
        ui.JobGroupEvent: _structure_job_group,
    }
)


_BOT_OUTPUT: Final = make_dict_structure_fn(BotOutput, _CONVERTER)


def _clip(text: str, limit: int = _MAX_REASON) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format(exc: BaseException, _: object) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    return f"{exc}" or type(exc).__name__


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        try:
            return _clip("; ".join(cattrs.transform_error(exc, format_exception=_format)))
        except Exception:  # transform_error is best effort; never let it escape
            return _clip(str(exc))
    if isinstance(exc, RecursionError):
        return "nesting too deep"
    return _clip(f"{type(exc).__name__}: {exc}")


def _structure_payload(cls: type, data: object) -> Any:
    mode = cls.DATA_MODE
    if mode in (OMIT, EMPTY):
        return cls()
    if mode == RAW:
        field = attrs.fields(cls)[0]
        return cls(**{field.name: _CONVERTER.structure(data, field.type)})
    return _CONVERTER.structure({} if data is None else data, cls)


def _decode(obj: object, table: Mapping[str, type], *, require_id: bool) -> Any:
    if not isinstance(obj, dict):
        return Ignored(reason=f"not a JSON object ({type(obj).__name__})")
    if obj.get("label") != LABEL:
        return Ignored(reason="label is not 'rtvi-ai'")
    raw_id = obj.get("id")
    msg_id = raw_id if isinstance(raw_id, str) else None
    if msg_id is None and (require_id or raw_id is not None):
        reason = "Invalid RTVI transport message: 'id' must be a string"
        return Invalid(kind=InvalidKind.ENVELOPE, reason=reason)
    msg_type, data = obj.get("type"), obj.get("data")
    if not isinstance(msg_type, str):
        reason = "Invalid RTVI transport message: 'type' must be a string"
        return Invalid(kind=InvalidKind.ENVELOPE, reason=reason, id=msg_id)
    cls = table.get(msg_type)
    raw_ok = not require_id and cls is not None and cls.DATA_MODE == RAW  # server-message
    if data is not None and not isinstance(data, dict) and not raw_ok:
        reason = "Invalid RTVI transport message: 'data' must be an object"
        return Invalid(kind=InvalidKind.ENVELOPE, reason=reason, id=msg_id, type=msg_type)
    if cls is None:
        reason = f"Unsupported type {_clip(msg_type, _MAX_TYPE)}"
        return Invalid(kind=InvalidKind.UNSUPPORTED_TYPE, reason=reason, id=msg_id, type=msg_type)
    try:
        message = _structure_payload(cls, data)
    except Exception as exc:  # client garbage must never escape: ExceptionGroup, ValueError, ...
        reason = f"Invalid message: {_describe(exc)}"
        return Invalid(kind=InvalidKind.PAYLOAD, reason=reason, id=msg_id, type=msg_type)
    if require_id:
        return ClientEnvelope(id=msg_id, message=message)
    return ServerEnvelope(id=msg_id, message=message)


def decode(obj: object) -> Decoded:
    """Decode one parsed JSON value sent by a client. Never raises.

    Args:
        obj: Any JSON value (the result of ``json.loads``), however nested or odd.

    Returns:
        A `ClientEnvelope`, `Invalid` or `Ignored`.
    """
    try:
        return _decode(obj, CLIENT_TYPES, require_id=True)
    except RecursionError:
        return Invalid(kind=InvalidKind.PAYLOAD, reason="Invalid message: nesting too deep")


def decode_server(obj: object) -> ServerEnvelope | Invalid | Ignored:
    """Decode a server message (the client's view; used by tests and Python clients).

    Args:
        obj: Any JSON value.

    Returns:
        A `ServerEnvelope`, `Invalid` or `Ignored`. Never raises.
    """
    try:
        return _decode(obj, SERVER_TYPES, require_id=False)
    except RecursionError:
        return Invalid(kind=InvalidKind.PAYLOAD, reason="Invalid message: nesting too deep")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(payload: str | bytes) -> Any | Invalid:
    """Parse JSON text strictly (no NaN/Infinity), returning `Invalid` instead of raising.

    Args:
        payload: UTF-8 bytes or text.

    Returns:
        The parsed value, or `Invalid` (kind ``JSON``, no id).
    """
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes | bytearray) else payload
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError, TypeError, MemoryError) as exc:
        reason = f"Invalid RTVI transport message: bad JSON ({_describe(exc)})"
        return Invalid(kind=InvalidKind.JSON, reason=_clip(reason))


def decode_text(payload: str | bytes) -> Decoded:
    """Parse JSON text and decode it as a client message. Never raises.

    Args:
        payload: The JSON text of one message (``MessageFrame.data`` or a WebSocket text frame).

    Returns:
        A `ClientEnvelope`, `Invalid` or `Ignored`.
    """
    parsed = parse_json(payload)
    if isinstance(parsed, Invalid):
        return parsed
    return decode(parsed)


def _known(msg: object) -> type:
    cls = type(msg)
    wire = getattr(cls, "TYPE", None)
    if CLIENT_TYPES.get(wire) is not cls and SERVER_TYPES.get(wire) is not cls:
        raise LocalProtocolError(f"{cls.__name__} is not an RTVI message class")
    return cls


def encode(msg: ServerToClient | ClientToServer, id: str | None = None) -> dict[str, Any]:
    """Build the JSON envelope of a message (``None`` fields left out).

    Args:
        msg: A message instance from either table.
        id: The envelope id (request id for bot-ready / server-response / error-response).

    Returns:
        ``{"label": "rtvi-ai", "type": ..., "id"?: ..., "data"?: ...}``.

    Raises:
        LocalProtocolError: ``msg`` is not an RTVI message.
    """
    encoder = _ENCODERS.get(type(msg))
    if encoder is None:
        encoder = _ENCODERS[type(msg)] = make_encoder(_known(msg), _CONVERTER)
    return encoder(msg, id)


_ENCODERS: dict[type, Any] = {}
"""Each message class's encoder, built on first use."""


def encode_text(msg: ServerToClient | ClientToServer, id: str | None = None) -> str:
    """Encode a message as compact JSON text.

    Args:
        msg: A message instance from either table.
        id: The envelope id, if any.

    Returns:
        The JSON text (ASCII-only, no spaces).

    Raises:
        LocalProtocolError: Not a message, or a value JSON cannot carry (NaN, a set, ...).
    """
    envelope = encode(msg, id)
    try:
        return json.dumps(envelope, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(f"cannot encode {type(msg).__name__}: {exc}") from exc
