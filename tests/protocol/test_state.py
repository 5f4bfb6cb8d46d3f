"""RtviProtocol: the version matrix, dispatch, replies and version gates."""

import json

import pytest

from rtvi_actors.protocol import (
    AudioReceived,
    BotCapabilities,
    BotOutput,
    BotReady,
    ClientRequest,
    Dialect,
    DisconnectRequested,
    DtmfPressed,
    Error,
    ErrorResponse,
    Handshake,
    LlmRawText,
    LocalProtocolError,
    Outgoing,
    RtviProtocol,
    ServerResponse,
    SessionState,
    UiMessage,
    UserStartedSpeaking,
    UserText,
)


def msg(type_: str, data: object = None, id_: object = "r1") -> str:
    envelope: dict = {"label": "rtvi-ai", "type": type_, "id": id_}
    if data is not None:
        envelope["data"] = data
    return json.dumps(envelope)


def ready(version: object = "2.1.0", **kwargs: object) -> tuple[RtviProtocol, list]:
    proto = RtviProtocol(**kwargs)
    data = {} if version is None else {"version": version}
    return proto, proto.receive_text(msg("client-ready", data, "cr1"))


def replies(outputs: list) -> list:
    return [o for o in outputs if isinstance(o, Outgoing)]


@pytest.mark.parametrize(
    ("version", "bot_version", "dialect", "warning"),
    [
        ("2.2.0", "2.2.0", Dialect.V2, None),
        ("2.1.0", "2.2.0", Dialect.V2, None),
        ("2.0.0", "2.2.0", Dialect.V2, None),
        ("2.3.1", "2.2.0", Dialect.V2, None),
        ("1.4.0", "1.4.0", Dialect.V1, None),
        ("1.0.0", "1.0.0", Dialect.V1, None),
        ("01.2.0", "1.2.0", Dialect.V1, None),
        ("3.0.0", "2.2.0", Dialect.V2, "RTVI version 3.0.0 is not compatible"),
        ("1.2", "2.2.0", Dialect.V2, "Invalid client version format (1.2)"),
        ("1.2.3.0", "2.2.0", Dialect.V2, "Invalid client version format (1.2.3.0)"),
        ("junk", "2.2.0", Dialect.V2, "Invalid client version format (junk)"),
        ("2.0.0-beta", "2.2.0", Dialect.V2, "Invalid client version format"),
        ("0.3.0", "0.3.0", Dialect.LEGACY, None),
        (None, "0.3.0", Dialect.LEGACY, None),
        (5, "0.3.0", Dialect.LEGACY, None),
    ],
)
def test_version_matrix(
    version: object, bot_version: str, dialect: Dialect, warning: str | None
) -> None:
    proto, out = ready(version)
    sent = replies(out)
    if warning is None:
        assert len(sent) == 1
    else:
        assert isinstance(sent[0].message, ErrorResponse)
        assert sent[0].id == "cr1"
        assert warning in sent[0].message.error
        assert "Compatibility issues may occur." in sent[0].message.error
    bot_ready = sent[-1]
    assert isinstance(bot_ready.message, BotReady)
    assert bot_ready.id == "cr1"
    assert bot_ready.message.version == bot_version
    assert (bot_ready.message.config is not None) == (dialect is Dialect.LEGACY)
    assert proto.dialect is dialect
    assert proto.state is SessionState.READY
    handshakes = [o for o in out if isinstance(o, Handshake)]
    assert len(handshakes) == 1
    assert handshakes[0].negotiation.dialect is dialect


@pytest.mark.parametrize(
    ("version", "text"),
    [
        ("0.3.0", "RTVI version 0.3.0 is not compatible with server protocol 2.2.0."),
        (None, "Client version unknown. Compatibility issues may occur."),
    ],
)
def test_legacy_disabled_behaves_like_pipecat_1_14(version: str | None, text: str) -> None:
    proto, out = ready(version, legacy_enabled=False)
    sent = replies(out)
    assert sent[0] == Outgoing(message=ErrorResponse(error=sent[0].message.error), id="cr1")
    assert sent[0].message.error.startswith(text)
    assert sent[1].message.version == "2.2.0"
    assert sent[1].message.config is None
    assert proto.dialect is Dialect.V2


def test_bot_ready_wire_shape_with_capabilities() -> None:
    caps = BotCapabilities(audio_in=True, audio_out=True, metrics=False)
    _, out = ready("2.1.0", about={"library": "x"}, capabilities=caps)
    assert replies(out)[-1].to_dict() == {
        "label": "rtvi-ai",
        "type": "bot-ready",
        "id": "cr1",
        "data": {
            "version": "2.2.0",
            "about": {"library": "x"},
            "capabilities": {"audio_in": True, "audio_out": True, "metrics": False},
        },
    }


def test_gates_follow_the_declared_version() -> None:
    old, _ = ready("2.1.0")
    new, _ = ready("2.2.0")
    v1, _ = ready("1.4.0")
    raw = LlmRawText(text="x")
    assert old.send(raw) == []
    assert new.send(raw) == [Outgoing(message=raw)]
    backchannel = BotOutput(text="mhm", output_type="backchannel")
    assert old.send(backchannel) == []
    assert new.send(backchannel) != []
    word = BotOutput(text="w", output_type="word")
    assert new.send(word) == []
    assert v1.send(word) != []
    progress = BotOutput(text="a b", output_type="sentence", spoken_status="in-progress")
    assert v1.send(progress) == []
    assert new.send(progress) != []
    assert RtviProtocol().send(raw) == []  # before client-ready: not known to be >= 2.2


def test_requests_before_client_ready_are_handled() -> None:
    proto = RtviProtocol()
    out = proto.receive_text(
        msg("send-text", {"content": "hi", "options": {"run_immediately": False}})
    )
    assert out == [
        UserText(request_id="r1", content="hi", run_immediately=False, audio_response=True)
    ]
    assert proto.state is SessionState.AWAITING_CLIENT_READY
    out = proto.receive_text(msg("get-config", {}, "g1"))
    assert out == [Outgoing(message=ErrorResponse(error="Unsupported type get-config"), id="g1")]


def test_repeated_client_ready_gets_bot_ready_without_new_handshake() -> None:
    proto, _ = ready("2.1.0")
    out = proto.receive_text(msg("client-ready", {"version": "1.0.0"}, "cr2"))
    assert len(out) == 1
    assert out[0].id == "cr2"
    assert out[0].message.version == "2.2.0"
    assert proto.dialect is Dialect.V2


def test_manual_bot_ready() -> None:
    proto, out = ready("2.1.0", auto_bot_ready=False)
    assert [type(o) for o in out] == [Handshake]
    assert proto.state is SessionState.AWAITING_BOT_READY
    sent = proto.bot_ready()
    assert sent[0].id == "cr1"
    with pytest.raises(LocalProtocolError):
        proto.bot_ready()
    with pytest.raises(LocalProtocolError):
        RtviProtocol().bot_ready()


def test_client_message_and_server_response() -> None:
    proto, _ = ready()
    out = proto.receive_text(
        msg("client-message", {"t": "get-weather", "d": {"city": "Paris"}}, "m1")
    )
    assert out == [ClientRequest(request_id="m1", t="get-weather", d={"city": "Paris"})]
    reply = proto.respond("m1", {"temp_c": 21})
    assert reply == Outgoing(message=ServerResponse(t="get-weather", d={"temp_c": 21}), id="m1")
    assert reply.to_text() == (
        '{"label":"rtvi-ai","type":"server-response","id":"m1",'
        '"data":{"t":"get-weather","d":{"temp_c":21}}}'
    )
    with pytest.raises(LocalProtocolError):
        proto.respond("m1")
    assert proto.respond_error("zz", "nope").id == "zz"


def test_pending_requests_are_bounded() -> None:
    proto = RtviProtocol(max_pending_requests=2)
    for i in range(3):
        proto.receive_text(msg("client-message", {"t": "x"}, f"m{i}"))
    with pytest.raises(LocalProtocolError):
        proto.respond("m0")
    assert proto.respond("m2").id == "m2"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"label":"other","type":"x"}', []),
        ("[1,2]", []),
        ('"x"', []),
        (
            '{"label":"rtvi-ai","type":"send-text","id":5,"data":{"content":"x"}}',
            [
                Outgoing(
                    message=Error(error="Invalid RTVI transport message: 'id' must be a string")
                )
            ],
        ),
        (
            '{"label":"rtvi-ai","type":"bogus","id":"b1"}',
            [Outgoing(message=ErrorResponse(error="Unsupported type bogus"), id="b1")],
        ),
        (
            '{"label":"rtvi-ai","type":"append-to-context","id":"b2","data":{"role":"user","content":"x"}}',
            [Outgoing(message=ErrorResponse(error="Unsupported type append-to-context"), id="b2")],
        ),
    ],
)
def test_invalid_and_ignored_input(line: str, expected: list) -> None:
    assert RtviProtocol().receive_text(line) == expected


def test_envelope_errors_without_id_become_error_and_with_id_error_response() -> None:
    (out,) = RtviProtocol().receive_text("{not json")
    assert isinstance(out.message, Error)
    assert out.id is None
    assert out.message.fatal is False
    (out,) = RtviProtocol().receive_text('{"label":"rtvi-ai","type":"dtmf","id":"d1","data":[1]}')
    assert isinstance(out.message, ErrorResponse)
    assert out.id == "d1"
    (out,) = RtviProtocol().receive_text(msg("dtmf", {"button": "1"}, "d2"))
    assert out.message.error.startswith("Invalid message:")


def test_dispatch_effects() -> None:
    proto, _ = ready()
    assert proto.receive_text(msg("dtmf", {"buttons": ["1", "#"]})) == [
        DtmfPressed(request_id="r1", buttons=("1", "#"))
    ]
    batch = {"base64AudioBatch": ["AAAA", "AAA="], "sampleRate": 16000, "numChannels": 1}
    assert proto.receive_text(msg("raw-audio-batch", batch)) == [
        AudioReceived(audio=b"\x00\x00\x00", sample_rate=16000, num_channels=1),
        AudioReceived(audio=b"\x00\x00", sample_rate=16000, num_channels=1),
    ]
    out = proto.receive_text(msg("ui-event", {"event": "click"}))
    assert isinstance(out[0], UiMessage)
    result = {"function_name": "f", "tool_call_id": "c", "arguments": {}, "result": 3}
    assert proto.receive_text(msg("llm-function-call-result", result))[0].id == "r1"
    assert proto.receive_text(msg("disconnect-bot", {})) == [DisconnectRequested(request_id="r1")]
    assert proto.receive_text(msg("send-text", {"content": "late"})) == []


def test_append_to_context_can_be_enabled() -> None:
    proto = RtviProtocol(accept_append_to_context=True)
    out = proto.receive_text(msg("append-to-context", {"role": "user", "content": "x"}))
    assert out[0].role == "user"


def test_send_refuses_replies_and_client_messages() -> None:
    proto, _ = ready()
    with pytest.raises(LocalProtocolError):
        proto.send(ErrorResponse(error="x"))
    assert proto.send(UserStartedSpeaking()) == [Outgoing(message=UserStartedSpeaking())]
