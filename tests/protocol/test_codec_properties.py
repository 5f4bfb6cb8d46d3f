"""Property tests: round trips for every class, and decode never raises on garbage."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtvi_actors.protocol import (
    CLIENT_TYPES,
    SERVER_TYPES,
    ClientEnvelope,
    Ignored,
    Invalid,
    ServerEnvelope,
    decode,
    decode_server,
    decode_text,
    encode,
    encode_text,
)
from tests.protocol.strategies import instances, json_values

ids = st.text(min_size=1, max_size=8)


@pytest.mark.parametrize("cls", list(CLIENT_TYPES.values()), ids=list(CLIENT_TYPES))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), msg_id=ids)
def test_client_message_round_trip(cls: type, data: st.DataObject, msg_id: str) -> None:
    msg = data.draw(instances(cls))
    assert decode(encode(msg, msg_id)) == ClientEnvelope(id=msg_id, message=msg)
    assert decode_text(encode_text(msg, msg_id)) == ClientEnvelope(id=msg_id, message=msg)


@pytest.mark.parametrize("cls", list(SERVER_TYPES.values()), ids=list(SERVER_TYPES))
@settings(max_examples=40, deadline=None)
@given(data=st.data(), msg_id=st.none() | ids)
def test_server_message_round_trip(cls: type, data: st.DataObject, msg_id: str | None) -> None:
    msg = data.draw(instances(cls))
    assert decode_server(encode(msg, msg_id)) == ServerEnvelope(id=msg_id, message=msg)
    assert decode_server(json.loads(encode_text(msg, msg_id))) == ServerEnvelope(
        id=msg_id, message=msg
    )


envelopes = st.fixed_dictionaries(
    {
        "label": st.just("rtvi-ai") | json_values,
        "type": st.sampled_from(list(CLIENT_TYPES)) | json_values,
    },
    optional={
        "id": ids | json_values,
        "data": json_values | st.dictionaries(st.text(max_size=12), json_values),
    },
)


def _check(result: object) -> None:
    assert isinstance(result, ClientEnvelope | Invalid | Ignored)
    if isinstance(result, Invalid):
        message, reply_id = result.reply()
        assert reply_id == result.id
        assert json.loads(encode_text(message, reply_id))["type"] in {"error", "error-response"}


@settings(max_examples=400, deadline=None)
@given(obj=json_values | envelopes)
def test_decode_never_raises_on_any_json(obj: object) -> None:
    _check(decode(obj))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), cls=st.sampled_from(list(CLIENT_TYPES.values())), junk=json_values)
def test_decode_never_raises_on_mutated_valid_messages(
    data: st.DataObject, cls: type, junk: object
) -> None:
    wire = encode(data.draw(instances(cls)), "id1")
    payload = wire.get("data")
    if isinstance(payload, dict) and payload:
        key = data.draw(st.sampled_from(sorted(payload)))
        payload[key] = junk
    else:
        wire["data"] = junk
    _check(decode(wire))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200) | st.binary(max_size=200))
def test_decode_text_never_raises(text: str | bytes) -> None:
    _check(decode_text(text))


@pytest.mark.parametrize(
    "payload",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"label":"rtvi-ai","type":"client-message","id":"x","data":{"t":"a","d":'
        + "[" * 50_000
        + "]" * 50_000
        + "}}",
        "1" * 10_000,
        '{"label":"rtvi-ai","type":"send-text","id":"x","data":{"content":NaN}}',
        b"\xff\xfe",
        "",
    ],
)
def test_decode_text_hostile_inputs(payload: str | bytes) -> None:
    _check(decode_text(payload))
