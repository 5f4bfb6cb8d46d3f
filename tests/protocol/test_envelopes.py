"""The compiled encoders give exactly what the field-by-field definition gives, in key order,
and `RtviProtocol.envelopes` is `send` + `to_dict` for every server message and client version."""

import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtvi_actors import protocol as p
from rtvi_actors.protocol import SERVER_TYPES, BotOutput, encode
from rtvi_actors.protocol._fields import EMPTY, OMIT, RAW, WIRE_KEY
from rtvi_actors.protocol.converter import make_converter
from tests.protocol.strategies import instances

_REFERENCE = make_converter()


def _reference_data(obj: Any) -> Any:
    """The data object by definition: each wire field in field order, ``None`` left out
    unless ``KEEP_NONE``; nested values as the converter unstructures them."""
    out = {}
    keep_none = getattr(type(obj), "KEEP_NONE", False)
    for field in attrs.fields(type(obj)):
        wire = field.metadata.get(WIRE_KEY, field.name)
        if wire is None:
            continue
        value = getattr(obj, field.name)
        if value is None:
            if keep_none:
                out[wire] = None
            continue
        out[wire] = _REFERENCE.unstructure(value, field.type)
    return out


def _reference(msg: Any, id: str | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"label": "rtvi-ai", "type": type(msg).TYPE}
    if id is not None:
        envelope["id"] = id
    mode = type(msg).DATA_MODE
    if mode == EMPTY:
        envelope["data"] = {}
    elif mode == RAW:
        value = getattr(msg, attrs.fields(type(msg))[0].name)
        if value is not None:
            envelope["data"] = _REFERENCE.unstructure(value, attrs.fields(type(msg))[0].type)
    elif mode != OMIT:
        envelope["data"] = _reference_data(msg)
    return envelope


@pytest.mark.parametrize("cls", list(SERVER_TYPES.values()), ids=list(SERVER_TYPES))
@settings(max_examples=30, deadline=None)
@given(data=st.data(), msg_id=st.none() | st.text(min_size=1, max_size=6))
def test_compiled_encoder_matches_the_definition(
    cls: type, data: st.DataObject, msg_id: str | None
) -> None:
    msg = data.draw(instances(cls))
    got, want = encode(msg, msg_id), _reference(msg, msg_id)
    assert got == want
    # the same bytes on the wire: key order included
    assert json.dumps(got) == json.dumps(want)


def test_keep_none_fields_are_written_as_null() -> None:
    call = p.LlmFunctionCall(function_name="f", tool_call_id="t", args=None)
    assert encode(call)["data"] == {"function_name": "f", "tool_call_id": "t", "args": None}
    error = p.Error(error="e", fatal=False)  # no KEEP_NONE: only set fields
    assert encode(error)["data"] == {"error": "e", "fatal": False}


def _protocol(version: str | None) -> p.RtviProtocol:
    proto = p.RtviProtocol()
    data: dict[str, Any] = {"about": {}}
    if version is not None:
        data["version"] = version
    proto.receive_text(
        json.dumps({"label": "rtvi-ai", "type": "client-ready", "id": "r", "data": data})
    )
    return proto


_SENDABLE = [c for c in SERVER_TYPES.values() if p.sendable.send_kind(c) != p.sendable.REFUSED]


@pytest.mark.parametrize("version", ["2.2.0", "2.1.0", "1.0.0", "0.3.0", None])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_envelopes_is_send_then_to_dict(version: str | None, data: st.DataObject) -> None:
    proto = _protocol(version)
    messages = data.draw(
        st.lists(st.sampled_from(_SENDABLE).flatmap(instances), max_size=5)
        | st.lists(instances(BotOutput), min_size=1, max_size=4)
    )
    want = [out.to_dict() for m in messages for out in proto.send(m)]
    assert proto.envelopes(messages) == want


def test_envelopes_refuses_replies_like_send() -> None:
    proto = _protocol("2.2.0")
    with pytest.raises(p.LocalProtocolError):
        proto.envelopes([p.BotReady(version="2.2.0")])
    with pytest.raises(p.LocalProtocolError):
        proto.send(p.BotReady(version="2.2.0"))
