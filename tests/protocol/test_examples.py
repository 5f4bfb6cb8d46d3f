"""Every catalog example (the *.jsonl files here) decodes and re-encodes to the same JSON."""

import json
from pathlib import Path

import pytest

from rtvi_actors.protocol import (
    CLIENT_TYPES,
    SERVER_TYPES,
    BotOutput,
    ClientEnvelope,
    ServerEnvelope,
    decode,
    decode_server,
    encode,
    encode_text,
)

HERE = Path(__file__).parent

SERVER_EXAMPLES = (HERE / "server_examples.jsonl").read_text(encoding="utf-8").splitlines()

CLIENT_EXAMPLES = (HERE / "client_examples.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("line", SERVER_EXAMPLES)
def test_server_example_round_trips_exactly(line: str) -> None:
    wire = json.loads(line)
    decoded = decode_server(wire)
    assert isinstance(decoded, ServerEnvelope), decoded
    assert type(decoded.message) is SERVER_TYPES[wire["type"]]
    assert encode(decoded.message, decoded.id) == wire
    assert json.loads(encode_text(decoded.message, decoded.id)) == wire


@pytest.mark.parametrize("line", CLIENT_EXAMPLES)
def test_client_example_round_trips_exactly(line: str) -> None:
    wire = json.loads(line)
    decoded = decode(wire)
    assert isinstance(decoded, ClientEnvelope), decoded
    assert decoded.id == wire["id"]
    assert type(decoded.message) is CLIENT_TYPES[wire["type"]]
    assert encode(decoded.message, decoded.id) == wire


def test_every_type_has_an_example() -> None:
    seen_server = {json.loads(line)["type"] for line in SERVER_EXAMPLES}
    seen_client = {json.loads(line)["type"] for line in CLIENT_EXAMPLES}
    assert seen_server == set(SERVER_TYPES)
    assert seen_client == set(CLIENT_TYPES)


def test_tables_match_class_types() -> None:
    for table in (CLIENT_TYPES, SERVER_TYPES):
        for wire_type, cls in table.items():
            assert wire_type == cls.TYPE


def test_v21_bot_output_is_read_and_gains_the_22_aliases() -> None:
    wire = json.loads(
        '{"label":"rtvi-ai","type":"bot-output","data":{"text":"x","aggregated_by":"sentence",'
        '"segment_id":812,"spoken":false,"will_be_spoken":true}}'
    )
    decoded = decode_server(wire)
    assert isinstance(decoded, ServerEnvelope)
    assert decoded.message == BotOutput(
        text="x", output_type="sentence", segment_id=812, spoken=False, will_be_spoken=True
    )
    data = encode(decoded.message)["data"]
    assert data["output_type"] == data["text_type"] == data["aggregated_by"] == "sentence"


def test_audio_bytes_are_base64_in_json() -> None:
    decoded = decode(json.loads(CLIENT_EXAMPLES[6]))
    assert isinstance(decoded, ClientEnvelope)
    assert decoded.message.audio == b"\x00\x00\x00"
    assert decoded.message.sample_rate == 16000


def test_events_without_payload_have_no_data_or_id_key() -> None:
    for line in SERVER_EXAMPLES:
        wire = json.loads(line)
        if wire["type"] not in {"bot-ready", "error-response", "server-response"} and wire[
            "type"
        ] not in {"config-available", "actions-available", "config", "action-response"}:
            assert "id" not in encode(decode_server(wire).message)
