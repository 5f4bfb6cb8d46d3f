"""Sans-IO pieces of the providers: SSE parsing, chat-chunk assembly, Deepgram decoding, errors,
WAV building, and the curated package surface."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import actors.providers as providers
from actors.providers import (
    Done,
    FinalTranscript,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    SseEvent,
    SseParser,
    TextDelta,
    ToolCall,
    Usage,
    pcm16_wav,
    redact,
)
from actors.providers.chat_stream import ChatStreamAssembler
from actors.providers.deepgram_events import decode_message
from actors.providers.errors import error_for_status, safe_message

STREAM = (
    b"\xef\xbb\xbf: comment\r\n"
    b"event: delta\r\nid: 7\r\ndata: one\r\ndata:two\r\n\r\n"
    b'retry: 1500\ndata: {"a": 1}\n\n'
    b"data: caf\xc3\xa9\r\r"
    b"id: 8\n\n"  # no data: nothing dispatched, but the id sticks
    b"data\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SseEvent(data="one\ntwo", event="delta", id="7"),
    SseEvent(data='{"a": 1}', id="7", retry=1500),
    SseEvent(data="café", id="7"),
    SseEvent(data="", id="8"),
    SseEvent(data="[DONE]", id="8"),
]


def parse_in_pieces(data: bytes, cuts: list[int]) -> list[SseEvent]:
    parser = SseParser()
    events: list[SseEvent] = []
    last = 0
    for cut in [*sorted(cuts), len(data)]:
        events += parser.feed(data[last:cut])
        last = cut
    return events + parser.close()


def test_sse_parser_follows_the_standard() -> None:
    assert parse_in_pieces(STREAM, []) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_sse_parser_is_independent_of_chunk_boundaries(cuts: list[int]) -> None:
    assert parse_in_pieces(STREAM, cuts) == EXPECTED


def test_sse_parser_dispatches_an_unterminated_tail_on_close() -> None:
    parser = SseParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.close() == [SseEvent(data="[DONE]")]
    assert parser.close() == []


def _chunk(delta=None, finish=None, **extra):
    return {"choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}], **extra}


def test_assembler_tolerates_server_quirks() -> None:
    asm = ChatStreamAssembler()
    events = []
    # No "index" (some servers), the name repeated in every delta, arguments sent as an object.
    events += asm.feed(_chunk({"tool_calls": [{"id": "a", "function": {"name": "f"}}]}))
    events += asm.feed(_chunk({"tool_calls": [{"function": {"name": "f", "arguments": '{"x"'}}]}))
    events += asm.feed(_chunk({"tool_calls": [{"function": {"arguments": ": 1}"}}]}))
    events += asm.feed(
        _chunk({"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": {"y": 2}}}]})
    )
    events += asm.feed(
        _chunk({"content": None}, x_groq={"usage": {"prompt_tokens": 3, "completion_tokens": 4}})
    )
    assert events == []
    events += asm.finish()
    assert events == [
        ToolCall(id="a", name="f", arguments_json='{"x": 1}', index=0),
        ToolCall(id="b", name="g", arguments_json='{"y": 2}', index=1),
        Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7),
        Done(finish_reason=None),
    ]
    assert asm.finish() == []
    assert events[1].arguments() == {"y": 2}


def test_assembler_ignores_other_choices_and_emits_calls_at_finish() -> None:
    asm = ChatStreamAssembler()
    other = {"choices": [{"index": 1, "delta": {"content": "no"}}]}
    assert asm.feed(other) == []
    assert asm.feed(_chunk({"content": "yes"})) == [TextDelta(text="yes")]
    call = {"index": 0, "id": "c", "function": {"name": "h", "arguments": ""}}
    assert asm.feed(_chunk({"tool_calls": [call]})) == []
    assert asm.feed(_chunk(finish="tool_calls")) == [ToolCall(id="c", name="h", arguments_json="")]
    assert ToolCall(id="c", name="h", arguments_json="").arguments() == {}
    with pytest.raises(ProviderError):
        ToolCall(id="c", name="h", arguments_json='{"x":').arguments()
    with pytest.raises(ProviderError):
        asm.feed(["not", "an", "object"])


def test_deepgram_decoder() -> None:
    final = {
        "type": "Results",
        "is_final": True,
        "speech_final": False,
        "start": 1,
        "duration": 2,
        "channel": {"alternatives": [{"transcript": "", "confidence": 0}]},
    }
    assert decode_message(json.dumps(final)) == FinalTranscript(
        text="", start=1.0, duration=2.0, confidence=0.0, speech_final=False
    )
    assert decode_message(json.dumps({**final, "is_final": False})) is None  # empty interim
    assert decode_message('{"type": "SomethingNew"}') is None
    with pytest.raises(ProviderError, match="DATA-0000"):
        decode_message('{"err_code": "DATA-0000", "err_msg": "bad audio"}')
    with pytest.raises(ProviderError):
        decode_message("not json")


def test_error_mapping_and_scrubbing() -> None:
    body = b'{"error": {"message": "Incorrect API key provided: sk-abcdef123456", "code": 1}}'
    err = error_for_status(401, body, provider="p")
    assert isinstance(err, ProviderAuthError) and "sk-abcdef" not in str(err)
    quota = error_for_status(
        429, b'{"error": {"message": "quota", "code": "insufficient_quota"}}', provider="p"
    )
    assert isinstance(quota, ProviderRateLimited) and not quota.retryable
    assert error_for_status(404, b"nope", provider="p").retryable is False
    assert error_for_status(502, b"<html>", provider="p").retryable is True
    assert safe_message("Bearer abcdefghijk and my-key-123", ["my-key-123"]) == (
        "<redacted> and <redacted>"
    )
    assert len(safe_message("x" * 1000)) == 240
    assert redact([(b"Authorization", b"Token k"), ("X-Other", "v")]) == {
        "Authorization": "<redacted>",
        "X-Other": "v",
    }
    assert redact({"api-key": "k"}) == {"api-key": "<redacted>"}


def test_pcm16_wav_header() -> None:
    wav = pcm16_wav(b"\x01\x00\x02\x00", sample_rate=16000)
    assert wav[:4] == b"RIFF" and wav[8:16] == b"WAVEfmt " and len(wav) == 48
    assert int.from_bytes(wav[24:28], "little") == 16000
    assert int.from_bytes(wav[40:44], "little") == 4


def test_public_names_exist_and_import_is_lazy() -> None:
    for name in providers.__all__:
        assert hasattr(providers, name), name
        assert not name.startswith("_")
    code = "import sys, actors.providers; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
